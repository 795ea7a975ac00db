"""CSV, JSON and terminal text of query results, from real DuckDB results."""

from __future__ import annotations

import csv
import io
import json
import threading

import duckdb

from flows.query_output import neutralised, write_csv, write_json
from flows.terminal_text import cell, visible
from warehouse.query import Result

HOSTILE = "SELECT chr(27) || '[2J' AS a, 'x' || chr(13) || 'y' AS b, '=1+2' AS c, -3 AS d"


def result(sql: str) -> Result:
    return Result(duckdb.connect(), sql, None, threading.Event())


def test_csv_on_a_terminal_shows_control_codes_escaped() -> None:
    out = io.StringIO()
    assert write_csv(result(HOSTILE), out, terminal=True) == 1
    assert out.getvalue() == "a,b,c,d\n\\x1b[2J,x\\x0dy,'=1+2,-3\n"


def test_csv_to_a_file_keeps_every_character_and_quotes_a_carriage_return() -> None:
    out = io.StringIO()
    write_csv(result(HOSTILE), out, raw=True)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [["a", "b", "c", "d"], ["\x1b[2J", "x\ry", "=1+2", "-3"]]


def test_only_text_cells_are_neutralised() -> None:
    assert [neutralised(v) for v in ("-5", -5, -2.5, "@a", "a=b", None)] == [
        "'-5", -5, -2.5, "'@a", "a=b", None,
    ]  # fmt: skip


def test_json_is_the_same_document_as_one_dump_of_the_whole_list() -> None:
    sql = "SELECT range AS n, 'line' || chr(10) || 'two' AS t, DATE '2024-01-31' AS d FROM range(3)"
    out = io.StringIO()
    assert write_json(result(sql), out) == 3
    expected = [{"n": i, "t": "line\ntwo", "d": "2024-01-31"} for i in range(3)]
    assert out.getvalue() == json.dumps(expected, indent=1) + "\n"
    empty = io.StringIO()
    write_json(result("SELECT 1 AS n WHERE false"), empty)
    assert json.loads(empty.getvalue()) == []


def test_terminal_text_escapes_controls_but_keeps_scripts_and_layout() -> None:
    assert visible("a\x00b\x7f\x9b\u202e\u2066c") == "a\\x00b\\x7f\\x9b\\u202e\\u2066c"
    kept = "Goma\tNord-Kivu\nالفاشر \u200f Zürich"
    assert visible(kept) == kept
    assert cell("[bold]x[/bold]").plain == "[bold]x[/bold]" and cell(None).plain == ""
