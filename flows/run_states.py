"""What a pipeline run makes of its sources' final Prefect states: which failed and why, and
whether any of them changed the warehouse (so whether the report is redrawn)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from prefect.exceptions import MissingResult
from prefect.states import State

from flows.console import CLI_SAYS
from flows.runs import PipelineFailedError
from flows.settings import SourceConfig
from transforms.errors import one_line
from transforms.redaction import redact


@dataclass
class Tally:
    """The sources' failure lines (redacted), and whether any source changed the warehouse
    (loaded, or failed after committing)."""

    failed: list[str] = field(default_factory=list)
    changed: bool = False


def tally(
    states: list[tuple[SourceConfig, State]],
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> Tally:
    """Each source's final state counted; failures logged for the UI (the CLI prints them
    itself, so they are kept from its terminal)."""
    found = Tally()
    for source, state in states:
        result = state_result(state)
        if state.is_completed():  # no result kept: it may have loaded (the report checks)
            found.changed |= result is None or getattr(result, "status", result) != "unchanged"
            continue
        if isinstance(result, PipelineFailedError):
            lines = result.lines
            found.changed |= result.committed
        else:
            lines = [f"{source.name}: {one_line(result or state.message or 'failed')}"]
        lines = [redact(line) for line in lines]
        found.failed.extend(lines)
        for line in lines:
            logger.error("source %s failed: %s", source.name, line, extra={CLI_SAYS: True})
    return found


def state_result(state: State) -> object:
    """A final state's result or exception; None when Prefect kept no data for it (a state
    read back from the API, as happens when its database is busy: `MissingResult`)."""
    try:
        return state.result(raise_on_failure=False)
    except MissingResult:
        return None
