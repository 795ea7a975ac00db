"""IOM DTM baseline and site assessment workbooks (xlsx) into `displacement` rows.

The data sheet has a header (French or English, it does not matter) and an HXL row under it;
figures are found by tag, so `#affected+idps+hh` rows are households and `#affected+idps+ind`
rows people, each its own row (never multiplied). One row per site, village or ward (admin 3).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence

import openpyxl

from transforms import hxl
from transforms.hxl_tags import HxlTable, Tag, from_rows, is_hxl_row
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed

# Words in the sheet or file name that say which kind of assessment it is.
ASSESSMENT = (("site", "SA"), ("baseline", "BA"), ("ba_", "BA"), ("sa_", "SA"))


def parse(raw: bytes, origin: Origin) -> Parsed:
    """The data sheet of a DTM assessment workbook as displacement rows (people and households)."""
    sheet, table = data_sheet(raw, origin.name)
    kind = assessment_type(f"{sheet} {origin.name}")
    fixed: dict[str, object] = {"assessment_type": kind} if kind else {}
    return hxl.to_displacement(table, origin, fixed)


def data_sheet(raw: bytes, name: str) -> tuple[str, HxlTable]:
    """The first sheet whose second row is HXL tags with an `#affected` figure column."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{name}: not a readable xlsx workbook ({exc})") from exc
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header, tags = next(rows, None), next(rows, None)
            if header is None or tags is None or not is_hxl_row(tags):
                continue
            if any(Tag.parse(str(t)).hashtag == "#affected" for t in tags if t):
                width = _width(header)
                body = list(_filled_rows(rows, width))
                return sheet.title, from_rows(header[:width], [tags[:width], *body])
    finally:
        book.close()
    raise InputError(f"{name}: no sheet with an HXL row and #affected figure columns")


def assessment_type(text: str) -> str | None:
    """BA for baseline, SA for site assessment, from the sheet and file names; None if unsaid."""
    words = re.sub(r"[^a-z]+", "_", text.lower())
    return next((code for word, code in ASSESSMENT if word in words), None)


def _width(header: Sequence[object]) -> int:
    """Columns up to the last named one (sheets often carry hundreds of empty columns)."""
    named = [i for i, v in enumerate(header) if v is not None and str(v).strip()]
    return named[-1] + 1 if named else 0


def _filled_rows(rows: Iterator[Sequence[object]], width: int) -> Iterator[Sequence[object]]:
    for row in rows:
        cells = row[:width]
        if any(v is not None and str(v).strip() for v in cells):
            yield cells
