"""The whole pipeline on the bundled samples, twice, into a real DuckDB file with real Prefect."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flows.cli import app

DATA_TABLES = ("displacement", "articles", "article_facts", "quarantine")


def write_config(path: Path, sources: dict[str, tuple[str, Path]]) -> Path:
    blocks = [
        f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nlocation = "{where}"\n'
        for name, (kind, where) in sources.items()
    ]
    path.write_text("\n".join(blocks))
    return path


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DATA_TABLES}


def sample_config(tmp_path: Path, samples: Path) -> Path:
    return write_config(
        tmp_path / "sitrep.toml",
        {"articles": ("article-files", samples / "articles"), "dtm": ("dtm", samples / "dtm")},
    )


def test_two_runs_leave_identical_counts(prefect_api, home, tmp_path, samples) -> None:
    config = sample_config(tmp_path, samples)
    first = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert first.exit_code == 0, first.output
    before = counts(home / "warehouse.duckdb")
    second = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert second.exit_code == 0, second.output
    assert counts(home / "warehouse.duckdb") == before
    expected = sum(
        len(json.loads(p.read_text())["result"]) for p in (samples / "dtm").glob("*.json")
    )
    assert before["displacement"] == expected
    assert before["articles"] == len(list((samples / "articles").glob("*.txt")))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT count(*), count(DISTINCT flow_run_id) FROM load_runs").fetchone()
        assert runs == (4, 2)
        unbalanced = con.execute(
            "SELECT count(*) FROM load_run_tables WHERE rows_in <> rows_loaded + rows_quarantined"
        ).fetchone()[0]
        assert unbalanced == 0
        assert con.execute("SELECT count(*) FROM validation_results").fetchone()[0] > 0
    assert "Rows per source and table" in first.output
    assert "warehouse:" in first.output and "report:" in first.output
    assert (home / "reports" / "index.html").exists()


def test_a_bad_file_is_quarantined_and_the_other_sources_still_load(
    prefect_api, home, tmp_path, samples, fixtures
) -> None:
    dtm_dir = tmp_path / "dtm"
    dtm_dir.mkdir()
    shutil.copy(fixtures / "displacement-admin0-tcd-slice.json", dtm_dir)
    (dtm_dir / "broken.json").write_text('{"data": "not dtm"}')
    config = write_config(
        tmp_path / "sitrep.toml",
        {"articles": ("article-files", samples / "articles"), "dtm": ("dtm", dtm_dir)},
    )
    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert "broken.json: not a DTM API v3 response" in result.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM displacement").fetchone()[0] == 6
        reason, source_url = con.execute("SELECT reason, source_url FROM quarantine").fetchone()
        assert "broken.json" in reason and source_url.endswith("broken.json")
        status = dict(con.execute("SELECT source, status FROM load_runs").fetchall())
        assert status == {"articles": "loaded", "dtm": "failed"}


def test_expectation_failures_go_to_quarantine_with_the_reason(
    prefect_api, home, tmp_path, fixtures
) -> None:
    payload = json.loads((fixtures / "displacement-admin0-tcd-slice.json").read_text())
    payload["result"][0]["numPresentIdpInd"] = 150_000_001  # over the suite's maximum
    bad = tmp_path / "one-huge-figure.json"
    bad.write_text(json.dumps(payload))
    result = CliRunner().invoke(app, ["load", "dtm", str(bad)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM displacement").fetchone()[0] == 5
        reason, record = con.execute("SELECT reason, record FROM quarantine").fetchone()
        assert reason.startswith("figure be_between") and "150000001" in reason
        assert json.loads(record)["figure"] == 150_000_001
        failed = con.execute(
            "SELECT expectation, unexpected_count FROM validation_results WHERE NOT success"
        ).fetchall()
        assert failed == [("expect_column_values_to_be_between", 1)]


def test_too_many_rejects_fail_the_run(prefect_api, home, tmp_path, fixtures) -> None:
    payload = json.loads((fixtures / "displacement-admin0-tcd-slice.json").read_text())
    for rec in payload["result"][:3]:
        rec["numPresentIdpInd"] = -1
    bad = tmp_path / "mostly-bad.json"
    bad.write_text(json.dumps(payload))
    result = CliRunner().invoke(app, ["load", "dtm", str(bad)])
    assert result.exit_code == 2
    assert "over the limit" in result.output
