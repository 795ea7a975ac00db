"""A source whose file is not valid JSON is a failed subflow with its error; the others complete."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.sorting import FlowRunSort

from flows.pipeline import PipelineFailedError, pipeline, run_source
from flows.settings import SourceConfig
from warehouse.status import source_status


def test_a_broken_source_fails_its_subflow_and_the_others_complete(
    prefect_api, home: Path, tmp_path: Path, samples: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"result": [')
    sources = [
        SourceConfig(name="broken", kind="dtm", location=[str(broken)]),
        SourceConfig(name="articles", kind="article-files", location=[str(samples / "articles")]),
    ]
    state = pipeline(sources, str(home), return_state=True)
    assert state.is_failed()
    assert "broken" in (state.message or "")
    with get_client(sync_client=True) as client:
        top = state.state_details.flow_run_id
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[top])
            ),
            sort=FlowRunSort.START_TIME_DESC,
            limit=10,
            offset=0,
        )
    by_name = {r.name: r.state for r in subflows}
    assert set(by_name) == {"broken", "articles"}
    assert by_name["articles"] is not None and by_name["articles"].is_completed()
    failed = by_name["broken"]
    assert failed is not None and failed.is_failed()
    assert "broken.json" in (failed.message or "")


def test_a_failed_run_that_kept_its_good_files_says_so(prefect_api, home: Path, tmp_path) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    good = [fixtures / "dtm_api_admin0_hti_slice.json", fixtures / "dtm_api_admin1_hti_slice.json"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"result": [')
    source = SourceConfig(name="dtm", kind="dtm", location=[*map(str, good), str(broken)])
    with pytest.raises(PipelineFailedError, match=r"kept 20 rows from 2 of 3 files"):
        run_source(source, str(home))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM displacement").fetchone() == (20,)
    (status,) = source_status(home / "warehouse.duckdb")
    assert status["last_status"] == "failed" and status["loaded"] == 20
    assert "broken.json" in status["error"]
    assert "kept 20 rows from 2 of 3 files (the 1 unreadable loaded nothing)" in status["error"]
