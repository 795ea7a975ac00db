"""Any CSV whose second row is HXL hashtags (a file, a folder of them or a URL)."""

from flows.sources import Kind
from transforms import hxl

KIND = Kind(name="hxl", transform=hxl.parse, tables=("displacement",), patterns=("*.csv",))
