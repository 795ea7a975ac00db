"""What `sitrep load` and `sitrep run` tell while and after they run: progress lines on
stderr, --quiet, the --format json summary, and the artifacts a failed run leaves in Prefect."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_client
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def _counts(home: Path, flow_run_id: str) -> list[dict[str, Any]]:
    """Per source and table, the counts the warehouse recorded for the flow run."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT r.source, t.table_name, t.rows_in, t.rows_loaded, t.rows_quarantined "
            "FROM load_runs r JOIN load_run_tables t USING (load_run_id) "
            "WHERE r.flow_run_id = ? ORDER BY r.source, t.table_name",
            [flow_run_id],
        ).fetchall()
    keys = ("source", "table", "rows_in", "rows_loaded", "rows_quarantined")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _artifacts(flow_run_id: str) -> dict[str, dict[str, Any]]:
    """The flow run's artifacts by key, read back from the Prefect API (only the artifact
    filter is sent, as tests/integration/test_prefect_server.py explains)."""
    body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 50}
    with get_client(sync_client=True) as client:
        response = client._client.post("/artifacts/filter", json=body)
    response.raise_for_status()
    return {a["key"]: a for a in response.json() if (a["key"] or "").startswith("sitrep-")}


def _flow_run_id(home: Path) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute("SELECT flow_run_id FROM load_runs ORDER BY finished_at DESC").fetchone()
    assert row is not None
    return str(row[0])


def test_load_prints_each_step_in_order_then_the_table(prefect_api, home, fixtures) -> None:
    result = runner.invoke(
        app, ["load", "dtm", str(fixtures / "displacement-admin0-tcd-slice.json")]
    )
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith(("dtm:", "report:"))]
    loaded = _counts(home, _flow_run_id(home))
    rows_loaded = sum(c["rows_loaded"] for c in loaded)
    rows_in = sum(c["rows_in"] for c in loaded)
    expected = [
        "dtm: fetching",
        "dtm: fetched 1 file",
        "dtm: staging",
        rf"dtm: staged {rows_in} rows \(\d+ quarantined, \d+ failed a check\)",
        f"dtm: loaded {rows_loaded} rows",
        "report: writing",
        "report: 1 of 1 country to draw",
        r"report: TCD Chad \(1/1\)",
        "report: overview of 1 country written",
    ]
    assert len(progress) == len(expected), progress
    for line, pattern in zip(progress, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert "dtm: " not in result.stdout  # progress stays off stdout: the table is there
    assert "Rows per source and table" in result.stdout
    shown = _artifacts(_flow_run_id(home))
    assert shown["sitrep-failed-expectations"]["description"].startswith("All ")
    assert not any("FAILED" in (a["description"] or "") for a in shown.values())


def test_load_quiet_json_is_one_summary_matching_the_warehouse(prefect_api, home, fixtures) -> None:
    path = fixtures / "displacement-admin0-tcd-slice.json"
    result = runner.invoke(app, ["load", "dtm", str(path), "--quiet", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert not [
        line for line in result.stderr.splitlines() if line.startswith(("dtm:", "report:"))
    ], result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed" and summary["errors"] == []
    assert summary["warehouse"] == str((home / "warehouse.duckdb").resolve())
    assert summary["report"] == str((home / "reports" / "index.html").resolve())
    [source] = summary["sources"]
    assert (source["source"], source["kind"], source["status"]) == ("dtm", "dtm", "loaded")
    assert source["error"] is None
    recorded = _counts(home, summary["flow_run_id"])
    assert recorded and [{"source": "dtm", **t} for t in source["tables"]] == recorded
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM displacement").fetchone()
    assert row is not None and row[0] == source["tables"][0]["rows_loaded"]


def test_run_json_and_quiet_with_a_config(prefect_api, home, fixtures, tmp_path) -> None:
    config = tmp_path / "sitrep.toml"
    location = tmp_path / "tcd.json"  # inside the allowed roots
    location.write_bytes((fixtures / "displacement-admin0-tcd-slice.json").read_bytes())
    config.write_text(f'[[sources]]\nname = "tcd"\nkind = "dtm"\nlocation = "{location}"\n')
    result = runner.invoke(app, ["run", "--config", str(config), "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "tcd:" not in result.stderr
    summary = json.loads(result.stdout)
    [source] = summary["sources"]
    assert source["source"] == "tcd" and source["status"] == "loaded"
    recorded = _counts(home, summary["flow_run_id"])
    assert recorded and [{"source": "tcd", **t} for t in source["tables"]] == recorded
    loud = runner.invoke(app, ["run", "--config", str(config)])
    assert loud.exit_code == 0, loud.output
    lines = [line for line in loud.stderr.splitlines() if line.startswith(("tcd:", "report:"))]
    assert lines == [
        "tcd: fetching",
        "tcd: fetched 1 file",
        "tcd: unchanged since its last load, not loaded again",
        "report: not rewritten, nothing new was loaded",
    ]
    assert "(not rewritten: nothing new was loaded)" in loud.stdout


def test_a_failed_load_in_json_and_its_artifacts_say_it_failed(prefect_api, home, samples) -> None:
    path = samples / "dtm" / "displacement-admin0-tcd.json"
    result = runner.invoke(app, ["load", "hxl", str(path), "--quiet", "--format", "json"])
    assert result.exit_code == 2
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    errors = [line.removeprefix("error: ") for line in result.stderr.splitlines()]
    errors = [line for line in errors if line.startswith("hxl: ")]
    assert errors and summary["errors"] == errors  # errors print even with --quiet
    [source] = summary["sources"]
    assert source["status"] == "failed"
    assert source["error"] == "; ".join(e.removeprefix("hxl: ") for e in errors)
    recorded = _counts(home, summary["flow_run_id"])
    assert [{"source": "hxl", **t} for t in source["tables"]] == recorded
    shown = _artifacts(summary["flow_run_id"])
    assert {"sitrep-load-counts", "sitrep-failed-expectations"} <= set(shown)
    for key, artifact in shown.items():
        assert (artifact["description"] or "").startswith("**This run FAILED**: "), (key, artifact)
    expectations = shown["sitrep-failed-expectations"]["description"]
    assert all(e in expectations for e in errors)
    assert "passed" not in expectations
    if "sitrep-report" in shown:
        assert shown["sitrep-report"]["data"].startswith("**This run FAILED**: ")
