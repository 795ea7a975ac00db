"""A final state read back from Prefect's API carries no data: the pipeline must not fail on it."""

from __future__ import annotations

from prefect.states import Completed, Failed

from flows.pipeline import PipelineFailedError, state_result


def test_a_state_without_data_gives_none_instead_of_raising() -> None:
    # What `run_source(..., return_state=True)` returns when its state came back from the API
    # (seen with a busy SQLite database): Prefect raises MissingResult on `.result()`.
    assert state_result(Completed()) is None
    failed = state_result(Failed(message="boom"))  # a failure keeps its message
    assert isinstance(failed, Exception) and str(failed) == "boom"


def test_a_state_with_data_gives_its_result_or_exception() -> None:
    error = PipelineFailedError(["dtm: bad file"], committed=True)
    assert state_result(Completed(data="unchanged")) == "unchanged"
    failed = state_result(Failed(data=error))
    assert isinstance(failed, PipelineFailedError) and failed.lines == ["dtm: bad file"]
