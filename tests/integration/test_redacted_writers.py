"""Text that can carry a URL with credentials is redacted where it is written: the warehouse's
`load_runs.error` and the Prefect artifacts, whoever the caller is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from flows.artifacts import RunSummary, publish
from flows.settings import Settings
from warehouse.load import LoadRequest, load

SECRETS = ("pa55w0rd-x", "t0ken-9f8e7d", "s1g-4c3b2a")
ERROR = (
    f"https://user:{SECRETS[0]}@api.example.org/v1/x?token={SECRETS[1]}&page=2: HTTP 500; "
    f"retried https://files.example.org/a.csv?sig={SECRETS[2]}"
)


def test_a_load_runs_error_is_stored_redacted(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    request = LoadRequest("run-1", "live", "dtm", datetime.now(UTC), [])
    load(db, request, status="failed", error=ERROR)
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT error FROM load_runs WHERE load_run_id = 'run-1'").fetchone()
    assert row is not None
    stored = str(row[0])
    assert [s for s in SECRETS if s in stored] == []
    assert "REDACTED@api.example.org" in stored and "page=2" in stored


def test_every_artifact_is_written_redacted(prefect_api: None, tmp_path: Path) -> None:
    report = tmp_path / "reports" / "index.html"
    report.parent.mkdir()
    report.write_text("<html></html>")
    report.with_suffix(".md").write_text(f"# Report\n\nFrom {ERROR}\n")
    counts = [{"source": "live", "table": "displacement", "error": ERROR}]

    @flow(name="redacted-artifacts")
    def publish_all() -> str:
        summary = RunSummary(counts, [], report, report_error=ERROR)
        publish(Settings(home=tmp_path), summary, failures=[f"live: {ERROR}"])
        return str(flow_run.get_id())

    run_id = publish_all()
    body = {"artifacts": {"flow_run_id": {"any_": [run_id]}}, "limit": 50}
    with get_client(sync_client=True) as client:
        response = client._client.post("/artifacts/filter", json=body)
    response.raise_for_status()
    written = response.json()
    keys = {a["key"] for a in written}
    assert {"sitrep-load-counts", "sitrep-report-error", "sitrep-report"} <= keys
    text = str(written)
    assert [s for s in SECRETS if s in text] == []
    assert "REDACTED" in text
