"""The CSV read by DuckDB gives the careful reader's cells: trimmed as Arrow trims, blank null."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from transforms.csv_duckdb import WHITESPACE, read_into

# Cells whose first or last character decides whether they are trimmed: every whitespace
# character at either edge, and characters beside them in byte order that are not whitespace.
EDGES = ["\x01", "\x1f", "!", "a", "é", "\u0080", "\u00a1", "\u200b", "中", "\U0001f600"]
CELLS = [
    *(f"{space}x" for space in WHITESPACE),
    *(f"x{space}" for space in WHITESPACE),
    *(f"{space}x y{space}" for space in WHITESPACE),
    *WHITESPACE,
    *(f"{edge}x{edge}" for edge in EDGES),
    *(f"{edge} x {edge}" for edge in EDGES),
    "",
    "a b",
    " \u3000 ",
]


def expected(cell: str) -> str | None:
    """What `transforms.hxl_tags` gives: Arrow's utf8_trim_whitespace, then blank as null."""
    return cell.strip(WHITESPACE) or None


@pytest.mark.parametrize("hxl", [True, False])
def test_cells_are_trimmed_at_either_edge_by_any_whitespace(tmp_path: Path, hxl: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["n", "cell"])
    if hxl:
        writer.writerow(["#n", "#cell"])
    for n, cell in enumerate(CELLS):
        writer.writerow([str(n), cell])
    path = tmp_path / "cells.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with duckdb.connect() as con:
        found = read_into(con, str(path), "cells.csv", "cells")
        assert found == (["n", "cell"], 3 if hxl else 2)
        got = con.sql("SELECT cell FROM cells ORDER BY rowid").fetchall()
    assert [cell for (cell,) in got] == [expected(cell) for cell in CELLS]
