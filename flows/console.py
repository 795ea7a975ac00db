"""What the terminal shows of Prefect's log while the CLI runs a flow.

The Prefect UI keeps every line; the terminal drops what the CLI says better itself: an
expected failure (a `SitrepError` such as a refused file or a failed source, or a full disk)
is told once, as one `error:` line after the run, never as a traceback. An unexpected
exception keeps its traceback, shown once however many runs it fails on its way up.
"""

from __future__ import annotations

import logging

from transforms.errors import expected

# A record logged with `extra={CLI_SAYS: True}` is one the CLI repeats in its own summary.
CLI_SAYS = "sitrep_cli_says"


class ConsoleFilter(logging.Filter):
    """Drops expected failures and repeats of one traceback from a console handler."""

    def __init__(self) -> None:
        super().__init__("sitrep-console")
        self.shown: set[int] = set()  # exceptions whose traceback was printed

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, CLI_SAYS, False):
            return False
        error = record.exc_info[1] if record.exc_info else None
        if error is None:  # a failed run's closing state: the CLI's summary says it
            return not record.getMessage().startswith("Finished in state")
        if expected(error) or id(error) in self.shown:
            return False
        self.shown.add(id(error))
        return True


def quiet_expected_failures() -> None:
    """Put the filter on every console handler of the root logger (once per process)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(
            isinstance(f, ConsoleFilter) for f in handler.filters
        ):
            handler.addFilter(ConsoleFilter())
