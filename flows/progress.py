"""Progress lines of a pipeline run: one per source and step, for whoever listens.

The pipeline says what each step did on the `sitrep.progress` logger; the logger has no
handler of its own and does not reach Prefect's, so nothing shows unless the CLI installs
one (`show_progress`). Transforms know nothing of it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LOGGER = logging.getLogger("sitrep.progress")
LOGGER.setLevel(logging.INFO)
LOGGER.propagate = False  # kept from Prefect's console and API handlers
LOGGER.addHandler(logging.NullHandler())


def say(message: str, *args: object) -> None:
    """One progress line, e.g. `dtm: loaded 1,222 rows`."""
    LOGGER.info(message, *args)


def rows(n: int) -> str:
    """A row count as people read it: `1,234 rows`."""
    return f"{n:,} row" + ("" if n == 1 else "s")


class _RichHandler(logging.Handler):
    """Progress on a terminal: dim lines through rich, on stderr."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console

        self.console = Console(stderr=True)

    def emit(self, record: logging.LogRecord) -> None:
        from rich.markup import escape

        line = f"[dim]{escape(record.getMessage())}[/dim]"
        self.console.print(line, soft_wrap=True, highlight=False)


class _PlainHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Progress to a pipe or a file: plain lines, no colour."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.setFormatter(logging.Formatter("%(message)s"))


@contextmanager
def show_progress(enabled: bool = True) -> Iterator[None]:
    """Print progress lines on stderr while the block runs (rich when it is a terminal)."""
    if not enabled:
        yield
        return
    stream = sys.stderr
    handler: logging.Handler = _RichHandler() if stream.isatty() else _PlainHandler(stream)
    LOGGER.addHandler(handler)
    try:
        yield
    finally:
        LOGGER.removeHandler(handler)
