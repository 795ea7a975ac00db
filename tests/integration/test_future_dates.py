"""A figure dated after its retrieval is quarantined in a real load and never becomes the latest."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flows.cli import app


def test_a_row_dated_2100_is_quarantined_and_does_not_win_the_latest_stock(
    prefect_api: None, home: Path, tmp_path: Path, fixtures: Path
) -> None:
    payload = json.loads((fixtures / "displacement-admin0-tcd-slice.json").read_text())
    future = payload["result"][0]
    future["reportingDate"] = "2100-01-01T00:00:00"
    future["numPresentIdpInd"] = 999_999
    path = tmp_path / "dated-2100.json"
    path.write_text(json.dumps(payload))
    result = CliRunner().invoke(app, ["load", "dtm", str(path)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        kept = con.execute("SELECT count(*), max(reported_on) FROM displacement").fetchone()
        assert kept[0] == len(payload["result"]) - 1 and kept[1].year < 2100
        [(reason, record)] = con.execute("SELECT reason, record FROM quarantine").fetchall()
        assert reason.startswith("dated-2100.json record ")
        assert "field reported_on: later than the retrieval date + 1 day(s) (2100-01-01" in reason
        assert json.loads(record)["figure"] == 999_999
        latest = con.execute(
            "SELECT as_of, figure FROM latest_idp_stock WHERE iso3 = 'TCD' AND admin_level = 0"
        ).fetchall()
        assert latest and all(as_of.year < 2100 and figure != 999_999 for as_of, figure in latest)
        failed = con.execute(
            'SELECT expectation, "column", unexpected_count FROM validation_results '
            "WHERE NOT success ORDER BY 2"
        ).fetchall()
        assert failed == [
            ("not_later_than_retrieval", "period_end", 1),
            ("not_later_than_retrieval", "reported_on", 1),
        ]
