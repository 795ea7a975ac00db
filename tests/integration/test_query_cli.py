"""`sitrep query` through Typer's runner: refusals leave the warehouse unchanged; formats work."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
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


# --out: never inside SITREP_HOME, never over a file without --force, written whole.


def test_out_never_writes_inside_sitrep_home(db: Path, home: Path, tmp_path: Path) -> None:
    before = fingerprint(db)
    link = tmp_path / "innocent.csv"
    link.symlink_to(db)
    targets = [db, home / "lake" / "x.csv", home / ".." / home.name / "x.csv", link]
    for target in targets:
        for extra in ([], ["--force"]):
            code, _, stderr = query("SELECT 1", "--format", "csv", "--out", str(target), *extra)
            assert code == 2, (target, stderr)
            assert "inside" in stderr and stderr.startswith("error: ")
    code, _, stderr = query("SELECT 1", "--format", "parquet", "--out", str(db), "--force")
    assert code == 2 and "inside" in stderr
    assert fingerprint(db) == before
    assert not (home / "x.csv").exists() and not (home / "lake").exists()
    assert link.is_symlink() and link.resolve() == db


def test_out_replaces_a_file_only_with_force(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "figures.csv"
    target.write_text("keep me\n")
    code, _, stderr = query("SELECT 42 AS n", "--format", "csv", "--out", str(target))
    assert code == 2 and "--force" in stderr
    assert target.read_text() == "keep me\n"
    code, _, _ = query("SELECT 42 AS n", "--format", "csv", "--out", str(target), "--force")
    assert code == 0
    assert target.read_text() == "n\n42\n"
    assert [p.name for p in folder.iterdir()] == ["figures.csv"]  # no temporary file left


def test_a_failed_query_leaves_the_earlier_out_file_whole(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for fmt, name in (("csv", "x.csv"), ("json", "x.json"), ("parquet", "x.parquet")):
        target = folder / name
        target.write_bytes(b"earlier")
        # fails at run time, after the first rows: a division by zero on the last row
        bad = "SELECT 1 // (3 - range) AS n FROM range(4)"
        code, _, stderr = query(bad, "--format", fmt, "--out", str(target), "--force")
        assert code == 2, stderr
        assert target.read_bytes() == b"earlier"
    assert sorted(p.name for p in folder.iterdir()) == ["x.csv", "x.json", "x.parquet"]


def test_extract_out_follows_the_same_rule(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True)
    texts = tmp_path / "texts.csv"
    texts.write_text("id,text\n1,Over 7 million people displaced in Walikale\n")
    guarded = home / "warehouse.duckdb"
    guarded.write_bytes(b"warehouse")
    common = ["extract", str(texts), "--text-column", "text", "--id-column", "id", "--out"]
    result = runner.invoke(app, [*common, str(guarded), "--force"])
    assert result.exit_code == 2 and "inside" in result.stderr
    assert guarded.read_bytes() == b"warehouse"
    target = tmp_path / "facts.csv"
    target.write_text("earlier\n")
    result = runner.invoke(app, [*common, str(target)])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert target.read_text() == "earlier\n"
    result = runner.invoke(app, [*common, str(target), "--force"])
    assert result.exit_code == 0, result.stderr
    assert target.read_text().startswith("id,iso3,place_name")


def test_report_out_stays_out_of_sitrep_home_internals(
    db: Path, home: Path, tmp_path: Path
) -> None:
    for folder in (home, home / "lake", home / "raw" / "x", home / "prefect", home / "tmp"):
        result = runner.invoke(app, ["report", "--country", "COD", "--out", str(folder)])
        assert result.exit_code == 2, (folder, result.stderr)
        assert "a folder sitrep keeps its data in" in result.stderr
    assert not (home / "COD.html").exists() and not (home / "lake").exists()
    a_file = tmp_path / "report.html"
    a_file.write_text("x")
    result = runner.invoke(app, ["report", "--country", "COD", "--out", str(a_file)])
    assert result.exit_code == 2 and "is a file" in result.stderr
    for folder in (home / "reports" / "cod", home / "mine", tmp_path / "out"):
        result = runner.invoke(app, ["report", "--country", "COD", "--out", str(folder)])
        assert result.exit_code == 0, result.stderr
        assert (folder / "COD.html").exists()
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


# Values are shown as text: no markup, no control codes.

HOSTILE = (
    "SELECT '[/x]' AS a, '[link=x:y]c[/link]' AS b, "
    "chr(27) || '[2J' || chr(7) AS c, 'x' || chr(8238) || 'gpj.exe' AS d, ':warning:' AS \"[/e]\""
)


def test_table_shows_markup_and_control_codes_as_text(db: Path) -> None:
    code, stdout, stderr = query(HOSTILE)
    assert code == 0, stderr
    assert "[/x]" in stdout
    assert "[link=x:y]c[/link]" in stdout
    assert "\\x1b[2J\\x07" in stdout and "x\\u202egpj.exe" in stdout
    assert ":warning:" in stdout and "[/e]" in stdout
    assert "\x1b" not in stdout and "\x07" not in stdout and "\u202e" not in stdout


def test_status_table_and_error_lines_show_hostile_values_as_text(db: Path) -> None:
    with connect(db) as con:
        con.execute(
            "INSERT INTO load_runs (load_run_id, source, status, error, finished_at) VALUES "
            "('evil', '[/x]', 'failed', '[bold]bad[/red] ' || chr(27) || ']8;;x', now())"
        )
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.stderr
    assert "│ [/x]" in result.stdout
    assert "[/x]: [bold]bad[/red] \\x1b]8;;x" in result.stderr
    assert "\x1b" not in result.stdout + result.stderr


def test_csv_neutralises_text_cells_spreadsheets_run_as_formulas(db: Path, tmp_path: Path) -> None:
    sql = (
        "SELECT '=HYPERLINK(\"http://x\")' AS a, '+1' AS b, '-2+3' AS c, '@SUM(A1)' AS d, "
        "chr(9) || '=1' AS e, chr(13) || '=1' AS f, -5 AS g, -2.5 AS h, 'plain' AS i"
    )
    code, stdout, _ = query(sql, "--format", "csv")
    assert code == 0
    row = next(csv.DictReader(io.StringIO(stdout)))
    assert row == {
        "a": "'=HYPERLINK(\"http://x\")", "b": "'+1", "c": "'-2+3", "d": "'@SUM(A1)",
        "e": "'\t=1", "f": "'\r=1", "g": "-5", "h": "-2.5", "i": "plain",
    }  # fmt: skip
    target = tmp_path / "raw.csv"
    code, _, _ = query(sql, "--format", "csv", "--out", str(target), "--raw-csv")
    assert code == 0
    with target.open(newline="") as fh:
        raw = next(csv.DictReader(fh))
    assert raw["a"] == '=HYPERLINK("http://x")' and raw["f"] == "\r=1" and raw["g"] == "-5"


# Time limit and memory ceiling.

SLOW = "SELECT sum(x) FROM (SELECT range AS x, random() AS r FROM range(100000000) ORDER BY r)"


def test_a_query_past_its_time_limit_is_interrupted_and_its_spill_files_removed(
    db: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITREP_DUCKDB_MEMORY", "64MB")  # so the sort spills at once
    monkeypatch.setenv("SITREP_QUERY_TIMEOUT", "1")
    code, stdout, stderr = query(SLOW)
    assert code == 2, stdout + stderr
    assert "ran past its time limit of 1 s" in stderr and "--timeout" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert list((home / "tmp").iterdir()) == []
    code, _, stderr = query(SLOW, "--timeout", "0.5")
    assert code == 2 and "time limit of 0.5 s" in stderr
    code, stdout, _ = query("SELECT 7 AS n", "--format", "json")
    assert code == 0 and json.loads(stdout) == [{"n": 7}]


def test_a_value_larger_than_the_memory_cap_is_refused(db: Path) -> None:
    code, _, stderr = query("SELECT length(repeat('x', 2000000000)) AS n")
    assert code == 2
    assert "more memory than its limit allows" in stderr and "SITREP_DUCKDB_MEMORY" in stderr
    code, stdout, _ = query("SELECT length(repeat('x', 2000)) AS n", "--format", "json")
    assert code == 0 and json.loads(stdout) == [{"n": 2000}]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_the_query_and_removes_its_spill_files(
    db: Path, home: Path, signum: int
) -> None:
    env = os.environ | {"SITREP_HOME": str(home), "SITREP_DUCKDB_MEMORY": "64MB"}
    sitrep = Path(sys.executable).with_name("sitrep")
    proc = subprocess.Popen(
        [str(sitrep), "query", SLOW, "--timeout", "600"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        spill = home / "tmp"
        while proc.poll() is None and not any(p.is_file() for p in spill.glob("query-*/*")):
            time.sleep(0.05)  # until DuckDB has written spill files
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert stderr.strip() == "error: interrupted: the query was stopped"
    assert list(spill.iterdir()) == []


def test_spill_folders_of_killed_queries_are_removed_by_the_next_one(db: Path, home: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    orphan = home / "tmp" / f"query-{gone.stdout.strip()}-x1y2"
    orphan.mkdir(parents=True)
    (orphan / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 1024)
    alive = home / "tmp" / f"query-{os.getpid()}-a1b2"  # a query still running: kept
    alive.mkdir()
    code, _, stderr = query("SELECT 1")
    assert code == 0, stderr
    assert not orphan.exists()
    assert alive.exists()


def test_a_time_limit_must_be_positive(db: Path) -> None:
    for value in ("0", "-1"):
        code, _, stderr = query("SELECT 1", "--timeout", value)
        assert code == 2 and "time limit must be more than 0" in stderr


def test_an_error_echoing_hostile_text_is_one_plain_line(db: Path) -> None:
    code, _, stderr = query('SELECT * FROM "[/x]' + "\x1b[2J" + '"')
    assert code == 2
    assert stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1
    assert "[/x]\\x1b[2J" in stderr and "\x1b" not in stderr
