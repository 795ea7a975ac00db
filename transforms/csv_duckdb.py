"""A CSV with an optional HXL row read by DuckDB's CSV reader into a table of text cells.

The same cells as `transforms.hxl_tags.read_csv_batches` gives (trimmed, blank as NULL), for
files it would read with Arrow: plain UTF-8, the header first and the hashtag row, if any,
second. Any other file (another encoding, mojibake, a titled or header-less file, a row of
another width) is left to the careful reader: `read_into` returns None.
"""

from __future__ import annotations

import csv
import io

import duckdb

from transforms import sniff
from transforms.hxl_tags import MOJIBAKE_BYTES, refuse_repeated, tag_row, unique_names
from transforms.parsed import InputError

# What Arrow's utf8_trim_whitespace trims: ASCII and Unicode spaces and line separators.
WHITESPACE = " \t\n\r\x0b\x0c\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"
# A cell that ends with one of them (RE2 syntax).
END_SPACE = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)
END_SPACE = f"[{END_SPACE}]$"
HEAD_BYTES = 1 << 16
CHUNK_BYTES = 16 << 20


def read_into(
    con: duckdb.DuckDBPyConnection, path: str, name: str, table: str
) -> tuple[list[str], int] | None:
    """The CSV's rows into `table` (its columns the header's names), in file order; the column
    names and the file row of the first data row. None when the careful reader must read it."""
    with open(path, "rb") as source:
        head = source.read(HEAD_BYTES)
    if head[:4] == sniff.ZIP:
        raise InputError(f"{name}: a zip archive (an xlsx workbook?), not a CSV")
    sniff.refuse_nul(head, name)
    text = head.decode("utf-8-sig", "replace")
    try:
        at = tag_row(csv.reader(io.StringIO(text, newline="")))
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return None
    if at not in (None, 1) or not header or "\ufffd" in "".join(header):
        return None
    refuse_repeated(header, name)
    if not _plain_text(path, name):
        return None
    names = unique_names(header)
    skip = 2 if at == 1 else 1
    columns = "{" + ", ".join(f"{_literal(n)}: 'VARCHAR'" for n in names) + "}"
    cells = ", ".join(f"{_cell(_ident(n))} AS {_ident(n)}" for n in names)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT {cells} FROM read_csv({_literal(path)}, "
            f"header = false, skip = {skip}, auto_detect = false, delim = ',', quote = '\"', "
            f"escape = '\"', columns = {columns}, strict_mode = true, null_padding = false)"
        )
    except duckdb.Error:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return None
    return names, skip + 1


def _cell(column: str) -> str:
    """A cell trimmed, blank as NULL; the trim (slow with many characters) only where needed.

    A cell may start with whitespace only if its first byte is an ASCII space or control
    character (below '!') or starts a non-ASCII character (at or above U+0080): two byte
    comparisons, where a regular expression per cell cost about as much as reading the CSV.
    Only its last character needs the expression."""
    trimmed = f"trim({column}, {_literal(WHITESPACE)})"
    edge = (
        f"{column} < '!' OR {column} >= chr(128) OR regexp_matches({column}, {_literal(END_SPACE)})"
    )
    return f"nullif(CASE WHEN {edge} THEN {trimmed} ELSE {column} END, '')"


def _plain_text(path: str, name: str) -> bool:
    """False when the file holds mojibake (the careful reader repairs it); InputError naming
    the offset of a NUL byte (not text)."""
    offset, tail = 0, b""
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            sniff.refuse_nul(chunk, name, offset)
            if MOJIBAKE_BYTES.search(tail + chunk):
                return False
            offset += len(chunk)
            tail = chunk[-8:]
    return True


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
