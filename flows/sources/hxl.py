"""Any HXL-tagged CSV: hashtag row in its first 25 rows (a file, a folder of them or a URL)."""

from flows.sources import Kind
from transforms import hxl

KIND = Kind(name="hxl", transform=hxl.parse, tables=("displacement",), patterns=("*.csv",))
