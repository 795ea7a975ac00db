"""HXL hashtag rows: detect the row under the header, parse tags, find columns by tag."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from transforms import sniff
from transforms.parsed import InputError
from transforms.text_repair import CONTINUATIONS, repair_mojibake

# The same pairs as UTF-8 bytes (U+00C2-U+00F4 are C3 82-C3 B4): a scan without decoding.
MOJIBAKE_BYTES = re.compile(
    rb"\xc3[\x82-\xb4](?:" + b"|".join(re.escape(c.encode()) for c in CONTINUATIONS) + b")"
)
# libhxl's rules: the hashtag row is one of the first 25 rows, and at least half its cells are tags.
SCAN_ROWS = 25
TAGGED_SHARE = 0.5
HASHTAG = re.compile(r"\s*#[A-Za-z][_0-9A-Za-z]*(?:\s*\+\s*[A-Za-z][_0-9A-Za-z]*)*\s*")
# Bytes per Arrow block when a CSV is read in batches (about 100,000 DTM rows).
BLOCK_BYTES = 16 << 20


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
    """Data rows as strings under their header names, each tagged column's tag, where data
    starts in the file (row 3 with the usual HXL row, 2 without) and any title rows above the
    header."""

    frame: pd.DataFrame
    tags: dict[str, Tag]
    first_row: int
    titles: tuple[tuple[str, ...], ...] = ()

    def column(
        self, hashtag: str, include: Iterable[str] = (), exclude: Iterable[str] = ()
    ) -> str | None:
        """The first column tagged `hashtag` with the attributes asked for, or None."""
        inc, exc = tuple(include), tuple(exclude)
        return next((c for c, t in self.tags.items() if t.has(hashtag, inc, exc)), None)


def is_hashtag(cell: str) -> bool:
    """An HXL tag spec: `#hashtag` and `+attributes` (letters, digits, `_`; spaces allowed)."""
    return HASHTAG.fullmatch(cell) is not None


def is_hxl_row(values: Iterable[object]) -> bool:
    """A row of HXL hashtags as libhxl reads one: at least half of its non-empty cells are tag
    specs (the others, like `country` without `#`, are untagged columns)."""
    cells = [str(v).strip() for v in values if _filled(v)]
    tagged = sum(is_hashtag(c) for c in cells)
    return tagged > 0 and tagged >= TAGGED_SHARE * len(cells)


def tag_row(rows: Iterable[Sequence[object]]) -> int | None:
    """Which of the first 25 rows is the hashtag row (0-based), None when none is."""
    for n, row in enumerate(rows):
        if n >= SCAN_ROWS:
            return None
        if is_hxl_row(row):
            return n
    return None


def from_rows(header: Sequence[object], rows: list[Sequence[object]]) -> HxlTable:
    """A table from a header and the rows under it; the first row is taken as tags if HXL."""
    names = unique_names(header)
    tagged = bool(rows) and is_hxl_row(rows[0])
    tags: dict[str, Tag] = {}
    if tagged:
        cells = list(rows[0]) + [None] * (len(names) - len(rows[0]))
        tags = _tags(pd.Series(cells[: len(names)], index=names))
    body = [list(r[: len(names)]) + [None] * (len(names) - len(r)) for r in rows[int(tagged) :]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    frame = frame.map(lambda v: None if not _filled(v) else str(v).strip()).astype("string")
    return HxlTable(frame, tags, 3 if tagged else 2)


def read_csv(raw: bytes, name: str) -> HxlTable:
    """A CSV (UTF-8 with or without BOM, or Latin-1) with an optional HXL row under the header."""
    batches = list(read_csv_batches(io.BytesIO(raw), name))
    if len(batches) == 1:
        return batches[0]
    frame = pd.concat([b.frame for b in batches], ignore_index=True)
    return HxlTable(frame, batches[0].tags, batches[0].first_row)


def read_csv_batches(
    source: BinaryIO, name: str, block_bytes: int | None = None
) -> Iterator[HxlTable]:
    """A CSV in blocks of rows, each with the file row of its first row; bounded memory.

    Arrow parses plain UTF-8 files. When it meets what it cannot take (another encoding,
    mojibake, a short row), the careful reader reads the whole file and the rows not yet
    given follow from it, so the rows are the same as from `read_csv`.
    """
    head = source.read(1 << 16)
    source.seek(0)
    if head[:4] == b"PK\x03\x04":
        raise InputError(f"{name}: a zip archive (an xlsx workbook?), not a CSV")
    sniff.refuse_nul(head, name)
    given = 0
    try:
        if _tag_row_of(head) not in (None, 1):
            raise _NeedsCareError  # a header-less or titled file: rows found by hand
        for table in _arrow_batches(source, name, head, block_bytes or BLOCK_BYTES):
            yield table
            given += len(table.frame)
    except _NeedsCareError:
        source.seek(0)
        whole = _read_careful(source.read(), name)
        rest = whole.frame.iloc[given:].reset_index(drop=True)
        yield HxlTable(rest, whole.tags, whole.first_row + given, whole.titles)


def _tag_row_of(head: bytes) -> int | None:
    """The hashtag row among the first rows of a file's first bytes (a cut last row is fine)."""
    text = head.decode("utf-8-sig", "replace")
    try:
        return tag_row(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None


class _NeedsCareError(Exception):
    """The file is not plain UTF-8 CSV that Arrow can parse as is."""


def _arrow_batches(
    source: BinaryIO, name: str, head: bytes, block_bytes: int
) -> Iterator[HxlTable]:
    header = next(csv.reader(io.StringIO(head.decode("utf-8-sig", "replace"), newline="")), [])
    if not header or MOJIBAKE_BYTES.search(head) or "\ufffd" in "".join(header):
        raise _NeedsCareError  # a header that is not UTF-8 is decoded by the careful reader
    refuse_repeated(header, name)
    names = unique_names(header)
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=block_bytes),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        yield from _tables(reader, names, name)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _NeedsCareError from exc


def _tables(reader: pacsv.CSVStreamingReader, names: list[str], name: str) -> Iterator[HxlTable]:
    """Batches as text frames (cells stripped, blank as NA); the first decides the HXL row."""
    tags: dict[str, Tag] | None = None
    next_row = 2
    for batch in _read_ahead(reader):
        if any(_has_nul(c.buffers()[2]) for c in batch.columns):
            raise InputError(f"{name}: a NUL byte in the rows from file row {next_row}, not text")
        if any(MOJIBAKE_BYTES.search(c.buffers()[2] or b"") for c in batch.columns):
            raise _NeedsCareError
        frame = _text_frame(batch, names)
        if tags is None:
            tagged = len(frame) > 0 and is_hxl_row(frame.iloc[0])
            tags = _tags(frame.iloc[0]) if tagged else {}
            if tagged:
                frame, next_row = frame.iloc[1:].reset_index(drop=True), 3
        yield HxlTable(frame, tags, next_row)
        next_row += len(frame)
    if tags is None:  # header only
        yield HxlTable(pd.DataFrame({n: pd.Series(dtype="string") for n in names}), {}, 2)


def _has_nul(cells: pa.Buffer | None) -> bool:
    """Whether a column's cell bytes hold a NUL (a minimum over the bytes: no copy, no loop)."""
    return cells is not None and cells.size > 0 and np.frombuffer(cells, np.uint8).min() == 0


def _read_ahead(reader: pacsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    """The reader's batches, the next one parsed on a thread while this one is used.

    Arrow parses without the GIL, so parsing and normalising overlap on two cores.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-read-ahead") as pool:
        pending = pool.submit(_next_batch, reader)
        while (batch := pending.result()) is not None:
            pending = pool.submit(_next_batch, reader)
            yield batch


def _next_batch(reader: pacsv.CSVStreamingReader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


def _text_frame(batch: pa.RecordBatch, names: list[str]) -> pd.DataFrame:
    columns = {}
    for n, column in zip(names, batch.columns, strict=True):
        text = pc.utf8_trim_whitespace(column)
        columns[n] = pd.arrays.ArrowStringArray(pc.if_else(pc.equal(text, ""), None, text))
    return pd.DataFrame(columns)


def _tags(row: pd.Series) -> dict[str, Tag]:
    """Tags of the cells that are tag specs; other cells leave their column untagged."""
    return {c: Tag.parse(str(t)) for c, t in row.items() if _filled(t) and is_hashtag(str(t))}


def _read_careful(raw: bytes, name: str) -> HxlTable:
    """The whole file decoded and repaired in Python, rows found as the HXL standard says."""
    text = decode(raw, name)
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        raise InputError(f"{name}: not a readable CSV ({exc})") from exc
    if not rows:
        raise InputError(f"{name}: empty file, no header row")
    at = tag_row(rows)
    if at is None:
        refuse_repeated(rows[0], name)
        return _table(name, rows[0], rows[1:], {}, 2)
    tags = rows[at]
    header = rows[at - 1] if at else [t if is_hashtag(t) else "" for t in tags]
    refuse_repeated(header, name)
    width = max(len(header), len(tags))
    names = unique_names(list(header) + [""] * (width - len(header)))
    tagged = _tags(pd.Series(list(tags) + [None] * (width - len(tags)), index=names))
    titles = tuple(tuple(r) for r in rows[: max(at - 1, 0)])
    return _table(name, names, rows[at + 1 :], tagged, at + 2, titles)


def _table(
    name: str,
    header: Sequence[object],
    body: list[list[str]],
    tags: dict[str, Tag],
    first_row: int,
    titles: tuple[tuple[str, ...], ...] = (),
) -> HxlTable:
    """Rows under a header: short rows padded; wider rows cut to the tagged width when the file
    is HXL (libhxl reads the extra cells as untagged), an InputError when it is not."""
    names = unique_names(header)
    width = len(names)
    if not tags:
        wide = next((n for n, r in enumerate(body) if len(r) > width), None)
        if wide is not None:
            raise InputError(
                f"{name}: not a readable CSV (row {wide + first_row} has {len(body[wide])} "
                f"fields, the header {width})"
            )
    cells = [r[:width] + [""] * (width - len(r)) for r in body]
    frame = pd.DataFrame(cells, columns=names, dtype=object) if cells else None
    if frame is None:
        frame = pd.DataFrame({n: pd.Series(dtype="string") for n in names})
    frame = frame.astype("string").apply(lambda col: col.str.strip()).replace("", pd.NA)
    return HxlTable(frame, tags, first_row, titles)


def decode(raw: bytes, name: str) -> str:
    """Text of a CSV file: UTF-8 (BOM dropped), else Windows-1252, else Latin-1; mojibake
    (UTF-8 once read as Latin-1 upstream, `rÃ©gion`) repaired; binary content is an InputError."""
    if raw[:4] == b"PK\x03\x04":
        raise InputError(f"{name}: a zip archive (an xlsx workbook?), not a CSV")
    sniff.refuse_nul(raw, name)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return repair_mojibake(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return repair_mojibake(raw.decode("latin-1"))


def _filled(value: object) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and pd.isna(value))
        and bool(str(value).strip())
    )


def refuse_repeated(header: Sequence[object], name: str) -> None:
    """InputError naming a column name the header holds twice: which of the two a source means
    is unknown (pandas would rename the second `x.1`, Arrow keep both)."""
    seen: set[str] = set()
    for cell in header:
        text = str(cell).strip() if _filled(cell) else ""
        if text in seen:
            raise InputError(f"{name}: the header names column {text!r} twice; rename one")
        if text:
            seen.add(text)


def unique_names(header: Sequence[object]) -> list[str]:
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
