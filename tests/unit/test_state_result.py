"""A final state read back from Prefect's API carries no data: the pipeline must not fail on it."""

from __future__ import annotations

import logging

from prefect.states import Completed, Failed

from flows.run_states import state_result, tally
from flows.runs import PipelineFailedError, SourceOutcome
from flows.settings import SourceConfig


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


def test_the_tally_says_which_sources_failed_and_whether_any_changed_the_warehouse() -> None:
    def source(name: str) -> SourceConfig:
        return SourceConfig(name=name, kind="dtm", location=["x"])

    logger = logging.getLogger("sitrep.test.tally")
    unchanged = Completed(data=SourceOutcome("a", "dtm", "run-a", status="unchanged"))
    assert tally([(source("a"), unchanged)], logger).changed is False
    assert tally([(source("a"), Completed())], logger).changed is True  # may have loaded
    committed = Failed(data=PipelineFailedError(["b: token=s3cr3t-value bad"], committed=True))
    found = tally([(source("a"), unchanged), (source("b"), committed)], logger)
    assert found.changed is True and found.failed == ["b: token=REDACTED bad"]
    plain = tally([(source("c"), Failed(message="boom"))], logger)
    assert plain.changed is False and plain.failed == ["c: boom"]
