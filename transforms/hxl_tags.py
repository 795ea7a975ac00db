"""HXL hashtag rows: detect the row under the header, parse tags, find columns by tag."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ftfy
import pandas as pd

from transforms.parsed import InputError

# A lead byte of UTF-8 read as Latin-1/cp1252 followed by a continuation byte read the same way.
MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


@dataclass(frozen=True)
class Tag:
    """One HXL tag: `#affected+idps+ind` is hashtag `#affected`, attributes {idps, ind}."""

    hashtag: str
    attributes: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Tag:
        parts = text.strip().lower().replace(" ", "").split("+")
        return cls(parts[0], frozenset(p for p in parts[1:] if p))

    @property
    def text(self) -> str:
        return "+".join([self.hashtag, *sorted(self.attributes)])

    def has(self, hashtag: str, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> bool:
        """Whether this is `hashtag` with every `include` and none of the `exclude` attributes."""
        return (
            self.hashtag == hashtag
            and self.attributes.issuperset(include)
            and not self.attributes.intersection(exclude)
        )


@dataclass(frozen=True)
class HxlTable:
    """Data rows as strings under their header names, each tagged column's tag, and where data
    starts in the file (row 3 with an HXL row, 2 without)."""

    frame: pd.DataFrame
    tags: dict[str, Tag]
    first_row: int

    def column(
        self, hashtag: str, include: Iterable[str] = (), exclude: Iterable[str] = ()
    ) -> str | None:
        """The first column tagged `hashtag` with the attributes asked for, or None."""
        inc, exc = tuple(include), tuple(exclude)
        return next((c for c, t in self.tags.items() if t.has(hashtag, inc, exc)), None)


def is_hxl_row(values: Iterable[object]) -> bool:
    """A row of HXL hashtags: every non-empty cell starts with `#`, and there is at least one."""
    cells = [str(v).strip() for v in values if v is not None and not pd.isna(v)]
    cells = [c for c in cells if c]
    return bool(cells) and all(c.startswith("#") and len(c) > 1 for c in cells)


def from_rows(header: Sequence[object], rows: list[Sequence[object]]) -> HxlTable:
    """A table from a header and the rows under it; the first row is taken as tags if HXL."""
    names = _unique_names(header)
    tagged = bool(rows) and is_hxl_row(rows[0])
    tags: dict[str, Tag] = {}
    if tagged:
        cells = list(rows[0]) + [None] * (len(names) - len(rows[0]))
        tags = {n: Tag.parse(str(t)) for n, t in zip(names, cells, strict=False) if _filled(t)}
    body = [list(r[: len(names)]) + [None] * (len(names) - len(r)) for r in rows[int(tagged) :]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    frame = frame.map(lambda v: None if not _filled(v) else str(v).strip()).astype("string")
    return HxlTable(frame, tags, 3 if tagged else 2)


def read_csv(raw: bytes, name: str) -> HxlTable:
    """A CSV (UTF-8 with or without BOM, or Latin-1) with an optional HXL row under the header."""
    text = decode(raw, name)
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype="string", keep_default_na=False, na_values=[""]
        )
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{name}: empty file, no header row") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{name}: not a readable CSV ({exc})") from exc
    if len(header) == len(frame.columns):  # pandas renames blank and repeated headers
        frame.columns = _unique_names(header)
    frame = frame.apply(lambda col: col.str.strip()).replace("", pd.NA)
    tagged = len(frame) > 0 and is_hxl_row(frame.iloc[0])
    if not tagged:
        return HxlTable(frame, {}, 2)
    tags = {c: Tag.parse(str(t)) for c, t in frame.iloc[0].items() if _filled(t)}
    return HxlTable(frame.iloc[1:].reset_index(drop=True), tags, 3)


def decode(raw: bytes, name: str) -> str:
    """Text of a CSV file: UTF-8 (BOM dropped), else Windows-1252, else Latin-1; mojibake
    (UTF-8 once read as Latin-1 upstream, `rÃ©gion`) repaired; binary content is an InputError."""
    if raw[:4] == b"PK\x03\x04" or b"\x00" in raw[:1024]:
        raise InputError(f"{name}: binary file (xlsx or other), not a CSV")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return repair_mojibake(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return repair_mojibake(raw.decode("latin-1"))


def repair_mojibake(text: str) -> str:
    """Text with UTF-8-read-as-Latin-1 sequences put right; other text unchanged."""
    return ftfy.fix_encoding(text) if MOJIBAKE.search(text) else text


def _filled(value: object) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and pd.isna(value))
        and bool(str(value).strip())
    )


def _unique_names(header: Sequence[object]) -> list[str]:
    """Header cells as column names; blank or repeated ones made unique (`col_7`, `x.2`)."""
    names: list[str] = []
    for i, cell in enumerate(header):
        base = str(cell).strip() if _filled(cell) else f"col_{i + 1}"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}.{n}"
        names.append(name)
    return names
