"""The locked Prefect stack starts its API (fastapi upgrades have broken this before)."""

from __future__ import annotations

from prefect import flow, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId


@flow(name="sitrep-smoke")
def smoke() -> int:
    return 42


def test_the_api_starts_and_records_a_flow_run(prefect_api) -> None:
    state = smoke(return_state=True)
    assert state.result() == 42
    with get_client(sync_client=True) as client:
        assert client.api_healthcheck() is None  # None means healthy
        only_this = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        runs = client.read_flow_runs(flow_run_filter=only_this)
    assert [r.state.type.value for r in runs] == ["COMPLETED"]
