"""`sitrep extract`: the CSV contract through Typer's runner."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()
SEED = Path(__file__).resolve().parents[2] / "data" / "samples" / "articles" / "walikale.txt"
COLUMNS = ["id", "iso3", "place_name", "admin1_pcode", "admin2_pcode", "figure", "unit", "term",
           "qualifier", "event_date", "confidence"]  # fmt: skip


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_extract_writes_one_row_per_fact_most_salient_first(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", [
        {"doc": "seed", "body": SEED.read_text()},
        {"doc": "none", "body": "The council met on Tuesday."},
        {"doc": "two", "body": "About 2,400 families (8,200 people) were displaced in Aleppo."},
    ])  # fmt: skip
    out = tmp_path / "facts.csv"
    result = runner.invoke(app, ["extract", str(src), "--text-column", "body",
                                 "--id-column", "doc", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == COLUMNS
    assert [r["id"] for r in rows] == ["seed", "two", "two"]  # no row for a text without facts
    seed = rows[0]
    assert (seed["iso3"], seed["place_name"], seed["admin1_pcode"], seed["admin2_pcode"]) == (
        "COD", "eastern Congo", "", "",
    )  # fmt: skip
    assert (seed["figure"], seed["unit"], seed["term"], seed["qualifier"]) == (
        "7000000", "people", "displaced", "more_than",
    )  # fmt: skip
    assert [(r["figure"], r["unit"]) for r in rows[1:]] == [
        ("2400", "households"),
        ("8200", "people"),
    ]


def test_extract_to_stdout(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", [{"i": "1", "t": "Some 300 people fled Goma."}])
    result = runner.invoke(app, ["extract", str(src), "--text-column", "t", "--id-column", "i"])
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["id"], row["figure"], row["term"], row["admin2_pcode"]) == (
        "1", "300", "forced_to_flee", "CD6101",
    )  # fmt: skip


def test_extract_names_a_missing_column_and_exits_2(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", [{"i": "1", "t": "x"}])
    result = runner.invoke(app, ["extract", str(src), "--text-column", "text", "--id-column", "i"])
    assert result.exit_code == 2
    assert "no column 'text'; columns are: i, t" in result.output


def test_extract_refuses_a_header_naming_a_column_twice(tmp_path: Path) -> None:
    src = tmp_path / "twice.csv"
    src.write_text('id,text,text\n1,"Some 300 people fled Goma.",""\n', encoding="utf-8")
    result = runner.invoke(app, ["extract", str(src), "--text-column", "text", "--id-column", "id"])
    assert result.exit_code == 2
    assert f"{src}: the header names column 'text' twice" in result.output


def test_extract_refuses_a_nul_byte_naming_the_row_and_column(tmp_path: Path) -> None:
    src = tmp_path / "nul.csv"
    src.write_bytes(b'id,text\n1,"Some 300 people fled Goma."\n2,"Some 300\x00 people fled."\n')
    result = runner.invoke(app, ["extract", str(src), "--text-column", "text", "--id-column", "id"])
    assert result.exit_code == 2
    assert f"{src}: row 2 column 'text': a NUL byte, so not text" in result.output
