"""The locked Prefect stack starts its API (fastapi upgrades have broken this before)."""

from __future__ import annotations

from prefect import flow, get_client


@flow(name="sitrep-smoke")
def smoke() -> int:
    return 42


def test_the_api_starts_and_records_a_flow_run(prefect_api) -> None:
    state = smoke(return_state=True)
    assert state.result() == 42
    with get_client(sync_client=True) as client:
        assert client.api_healthcheck() is None  # None means healthy
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.state is not None and run.state.type.value == "COMPLETED"
    assert run.name and run.flow_id
