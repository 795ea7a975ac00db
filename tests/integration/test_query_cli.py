"""`sitrep query` through Typer's runner: refusals leave the warehouse unchanged; formats work."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from small_warehouse import build
from typer.testing import CliRunner

from flows.cli import app
from warehouse.db import connect

runner = CliRunner()
INJECTION = "'; DROP TABLE displacement; --"


@pytest.fixture
def db(home: Path) -> Path:
    home.mkdir(parents=True)
    return build(home / "warehouse.duckdb")


def fingerprint(db: Path) -> tuple[str, dict[str, tuple[int, int]]]:
    """The file's SHA-256 and, per table, its row count and a checksum of its rows."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with connect(db, read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        sums = {
            t: con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{t}" t').fetchone()
            for t in tables
        }
    return digest, {t: (int(v[0]), int(v[1])) for t, v in sums.items() if v}


def query(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["query", *args])
    return result.exit_code, result.stdout, result.stderr


REFUSED = [
    (["DROP TABLE displacement"], "DROP is refused"),
    (["INSERT INTO dim_country VALUES ('XXX', 'x', NULL, NULL)"], "INSERT is refused"),
    (["DELETE FROM displacement"], "DELETE is refused"),
    (["UPDATE displacement SET figure = 0"], "UPDATE is refused"),
    (["CREATE TABLE x AS SELECT 1"], "CREATE is refused"),
    (["ATTACH '/tmp/sitrep-other.duckdb' AS other"], "ATTACH is refused"),
    (["COPY displacement TO '/tmp/sitrep-leak.csv'"], "COPY is refused"),
    (["INSTALL httpfs"], "INSTALL and LOAD are refused"),
    (["LOAD json"], "INSTALL and LOAD are refused"),
    (["SELECT * FROM read_csv('/etc/passwd')"], "cannot read or write files outside"),
    (["SELECT * FROM read_text('/etc/hostname')"], "cannot read or write files outside"),
    (["SET enable_external_access = true"], "SET is refused"),
    (["PRAGMA enable_external_access"], "PRAGMA is refused"),
    (["SELECT 1; DROP TABLE displacement"], "one statement at a time"),
    (["--name", "latest-idps", "--param", f"iso3={INJECTION}"], "refused: latest-idps expects"),
    (["--name", "latest-idps", "--param", "sql=DROP TABLE displacement"], "no parameter 'sql'"),
    (["--name", f"latest{INJECTION}"], "no named query"),
]


@pytest.mark.parametrize(("args", "message"), REFUSED, ids=[r[1] + " " + r[0][0] for r in REFUSED])
def test_refused_with_one_line_and_exit_2_warehouse_unchanged(
    db: Path, args: list[str], message: str
) -> None:
    before = fingerprint(db)
    code, stdout, stderr = query(*args)
    assert code == 2, stdout + stderr
    assert message in stderr
    assert stderr.startswith("error: ")
    assert len(stderr.strip().splitlines()) == 1
    assert fingerprint(db) == before
    assert not Path("/tmp/sitrep-leak.csv").exists()


def test_a_hostile_value_in_an_adhoc_query_is_bound_not_pasted(db: Path) -> None:
    before = fingerprint(db)
    code, stdout, _ = query(
        "SELECT count(*) AS n FROM displacement WHERE iso3 = $iso3",
        "--param",
        f"iso3={INJECTION}",
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(stdout) == [{"n": 0}]
    assert fingerprint(db) == before


def test_named_query_with_bound_parameter_as_csv(db: Path) -> None:
    code, stdout, _ = query("--name", "latest-idps", "--param", "iso3=COD", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert [(r["source"], r["unit"], r["figure"]) for r in rows] == [
        ("dtm", "people", "125000"),
        ("hapi-cod", "people", "35000"),
        ("unhcr", "households", "20000"),
        ("unhcr", "people", "130000"),
        ("zzz", "people", "81000"),
    ]


def test_parquet_is_written_by_pyarrow_with_types_kept(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "preferred.parquet"
    code, _, stderr = query(
        "--name", "preferred-figures", "--param", "iso3=COD", "--format", "parquet", "--out",
        str(target),
    )  # fmt: skip
    assert code == 0, stderr
    table = pq.read_table(target)
    assert table.num_rows == 5
    assert str(table.schema.field("as_of").type) == "date32[day]"
    assert str(table.schema.field("figure").type) == "int64"
    assert f"wrote 5 rows to {target}" in stderr


def test_parquet_needs_out(db: Path) -> None:
    code, _, stderr = query("SELECT 1", "--format", "parquet")
    assert code == 2
    assert "--out" in stderr


def test_describe_prints_the_column_dictionary_from_comments(db: Path) -> None:
    code, stdout, _ = query("--describe", "preferred_idp_figure", "--format", "json")
    assert code == 0
    entries = {r["column"]: r for r in json.loads(stdout)}
    assert entries[""]["type"] == "VIEW"
    assert "source priority" in entries[""]["description"]
    assert entries["rule"]["type"] == "VARCHAR"
    assert entries["rule"]["description"].startswith("Why this figure was preferred")
    code, stdout, _ = query("--describe", "--format", "csv")
    objects = {r["object"] for r in csv.DictReader(io.StringIO(stdout))}
    assert {"displacement", "news_vs_official", "country_summary"} <= objects
    assert "_migrations" not in objects


def test_list_shows_named_queries_with_their_first_comment_line(db: Path) -> None:
    code, stdout, _ = query("--list")
    assert code == 0
    for name in ("latest-idps", "run-counts", "status", "news-vs-official"):
        assert name in stdout
    assert "Latest IDP stock per country and source" in stdout
