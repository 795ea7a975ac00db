"""Every command through Typer's runner, including the bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.fixture
def warehouse(prefect_api, tcd_home) -> Path:
    """The warehouse `sitrep load dtm <Chad admin 0 slice>` wrote (a copy, see conftest)."""
    return tcd_home / "warehouse.duckdb"


def test_load_then_query_counts_the_rows(warehouse) -> None:
    result = runner.invoke(
        app, ["query", "select count(*) as n from displacement", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"n": 6}]


def test_query_csv_and_named_query_with_parameter(warehouse) -> None:
    result = runner.invoke(
        app, ["query", "--name", "latest-idps", "--param", "iso3=TCD", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    header, *rows = result.output.strip().splitlines()
    assert header.split(",")[:3] == ["source", "iso3", "as_of"]
    assert rows and all(r.split(",")[1] == "TCD" for r in rows)
    none = runner.invoke(
        app, ["query", "--name", "latest-idps", "--param", "iso3=XYZ", "--format", "json"]
    )
    assert json.loads(none.output) == []


@pytest.mark.parametrize(
    "sql",
    [
        "drop table displacement",
        "insert into articles (article_id, source, source_record_id) values ('x', 'y', 'z')",
        "select * from read_csv('/etc/passwd')",
    ],
)
def test_query_refuses_writes_and_file_access(warehouse, sql) -> None:
    result = runner.invoke(app, ["query", sql])
    assert result.exit_code == 2
    assert result.output.startswith("error:")
    after = runner.invoke(
        app, ["query", "select count(*) as n from displacement", "--format", "json"]
    )
    assert json.loads(after.output) == [{"n": 6}]


def test_query_usage_errors(warehouse) -> None:
    assert runner.invoke(app, ["query"]).exit_code == 2
    assert runner.invoke(app, ["query", "select 1", "--format", "xml"]).exit_code == 2
    unknown = runner.invoke(app, ["query", "--name", "nope"])
    assert unknown.exit_code == 2 and "known:" in unknown.output


def test_query_before_any_load_says_what_to_do(home) -> None:
    result = runner.invoke(app, ["query", "select 1"])
    assert result.exit_code == 2
    assert "run `sitrep run`" in result.output


def test_status_and_report(warehouse, home) -> None:
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    assert "dtm" in status.output and "loaded" in status.output
    report = runner.invoke(app, ["report", "--country", "tcd", "--out", str(home / "out")])
    assert report.exit_code == 0, report.output
    assert "report:" in report.output
    written = list((home / "out").glob("*"))
    assert written, "the report command wrote no file"


def test_load_unknown_kind(home, fixtures) -> None:
    result = runner.invoke(
        app, ["load", "nope", str(fixtures / "displacement-admin0-tcd-slice.json")]
    )
    assert result.exit_code == 2
    assert "unknown source kind 'nope'" in result.output and "known kinds:" in result.output


def test_load_missing_file(home, tmp_path) -> None:
    result = runner.invoke(app, ["load", "dtm", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    assert "missing.json: no such file or folder" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty.json: not valid JSON"),
        (b'{"rows": []}', "empty.json: not a DTM API v3 response"),
    ],
)
def test_load_input_that_is_not_dtm(prefect_api, home, tmp_path, content, message) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(content)
    result = runner.invoke(app, ["load", "dtm", str(path)])
    assert result.exit_code == 2
    assert message in result.output


def test_run_without_config(home, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "no config" in result.output


def test_run_unknown_source_name(home, tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[sources]]\nname = "a"\nkind = "dtm"\nlocation = "x"\n')
    result = runner.invoke(app, ["run", "--config", str(config), "--source", "b"])
    assert result.exit_code == 2
    assert "no configured source named b" in result.output


def test_status_as_json_and_csv(warehouse) -> None:
    as_json = runner.invoke(app, ["status", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    (row,) = json.loads(as_json.output)
    assert (row["source"], row["last_status"], row["loaded"]) == ("dtm", "loaded", 6)
    as_csv = runner.invoke(app, ["status", "--format", "csv"])
    header, line = as_csv.output.strip().splitlines()
    assert header.startswith("source,kind,last_status,") and line.startswith("dtm,dtm,loaded,")
    wrong = runner.invoke(app, ["status", "--format", "jsn"])
    assert wrong.exit_code == 2 and "(did you mean json?)" in wrong.output


def test_status_after_a_run_with_nothing_new_keeps_the_last_load(warehouse, fixtures) -> None:
    again = runner.invoke(
        app, ["load", "dtm", str(fixtures / "displacement-admin0-tcd-slice.json")]
    )
    assert again.exit_code == 0, again.output
    (row,) = json.loads(runner.invoke(app, ["status", "--format", "json"]).output)
    assert row["last_status"] == "unchanged"
    assert (row["in"], row["loaded"], row["held"]) == (6, 6, 6)
    assert row["last_loaded"] <= row["last_run"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        newest, days, stale = con.execute(
            "SELECT max(coalesce(reported_on, period_end)), current_date - max(coalesce("
            "reported_on, period_end)), current_date - max(coalesce(reported_on, period_end)) > "
            "(SELECT value FROM report_settings WHERE name = 'stale_after_days') FROM displacement"
        ).fetchone()
    assert (row["data_as_of"], row["days_old"], row["stale"]) == (str(newest), days, stale)
