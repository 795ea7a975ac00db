"""IOM DTM API v3 admin 0/1/2 responses, saved as files or fetched from a URL."""

from flows.sources import Kind
from transforms import dtm

KIND = Kind(name="dtm", transform=dtm.parse, tables=("displacement",), patterns=("*.json",))
