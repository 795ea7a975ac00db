"""Query results written as CSV, JSON or Parquet, chunk by chunk as DuckDB hands them over."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, TextIO

from flows.terminal_text import visible
from warehouse.query import Result

# OWASP's CSV injection list: a spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROW_GROUP = 122_880  # rows per Parquet row group, DuckDB's own


def neutralised(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with `'`; others as they are.

    Numbers (-5 as a number) stay numbers: only text is touched.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(result: Result, out: TextIO, raw: bool = False, terminal: bool = False) -> int:
    """Rows as CSV; text cells neutralised unless `raw`, control codes escaped on a terminal."""
    writer = _CsvRows(out)
    cells = _TextCells(raw, terminal)
    writer.writerows([[cells(c) for c in result.columns]], cells.carriage_return)
    count = 0
    for chunk in result.chunks():
        cells.carriage_return = False
        rows = [[cells(v) if type(v) is str else v for v in row] for row in chunk]
        writer.writerows(rows, cells.carriage_return)
        count += len(chunk)
    return count


class _TextCells:
    """The CSV form of a text cell; notes whether one held a carriage return."""

    def __init__(self, raw: bool, terminal: bool) -> None:
        self.raw = raw
        self.terminal = terminal
        self.carriage_return = False

    def __call__(self, value: str) -> str:
        if not self.raw and value.startswith(FORMULA_STARTS):
            value = "'" + value
        if self.terminal:
            return visible(value)
        if "\r" in value:
            self.carriage_return = True
        return value


class _CsvRows:
    """Rows ending in a newline, with any field holding a carriage return quoted.

    The csv module quotes only the characters of its line terminator: with "\n" a lone CR in
    a value went out bare and readers took it for the end of the row.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._plain = csv.writer(out, lineterminator="\n")
        self._buf = io.StringIO()
        self._crlf = csv.writer(self._buf, lineterminator="\r\n")

    def writerows(self, rows: list[list[Any]], carriage_return: bool) -> None:
        if not carriage_return:
            self._plain.writerows(rows)
            return
        for row in rows:
            self._buf.seek(0)
            self._buf.truncate()
            self._crlf.writerow(row)
            self._out.write(self._buf.getvalue()[:-2] + "\n")


def write_json(result: Result, out: TextIO) -> int:
    """Rows as a JSON list of objects (one-space indent), written as they come."""
    count = 0
    for chunk in result.chunks():
        for row in chunk:
            record = json.dumps(dict(zip(result.columns, row, strict=True)), default=str, indent=1)
            out.write(("[\n " if count == 0 else ",\n ") + record.replace("\n", "\n "))
            count += 1
    out.write("[]\n" if count == 0 else "\n]\n")
    return count


def write_parquet(result: Result, path: Path) -> int:
    """Rows as Parquet with DuckDB's types kept (via Arrow), a row group at a time."""
    import pyarrow.parquet as pq

    count = 0
    with pq.ParquetWriter(path, result.arrow_reader(ROW_GROUP).schema) as writer:
        for batch in result.batches(ROW_GROUP):
            writer.write_batch(batch)
            count += batch.num_rows
    return count
