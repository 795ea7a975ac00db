"""The terminal's view of Prefect's log: expected failures silent, each traceback once."""

from __future__ import annotations

import errno
import io
import logging

import pytest

from flows.console import CLI_SAYS, ConsoleFilter
from transforms.errors import disk_full, expected, one_line
from transforms.parsed import InputError


@pytest.fixture
def terminal() -> tuple[logging.Logger, io.StringIO]:
    """A logger whose handler writes to a string through the console filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ConsoleFilter())
    logger = logging.getLogger("sitrep-test-console")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_an_expected_failure_and_run_ends_are_kept_from_the_terminal(terminal) -> None:
    logger, stream = terminal
    error = _raised(InputError("bad.csv row 3 field figure: not a number (x)"))
    logger.error("Task run failed with exception: %r", error, exc_info=error)
    logger.error("Finished in state Failed('Task run encountered an exception')")
    logger.error("source x failed: y", extra={CLI_SAYS: True})
    logger.warning("dtm: 3 of 9 rows name an admin unit not found in the gazetteer")
    assert stream.getvalue() == "dtm: 3 of 9 rows name an admin unit not found in the gazetteer\n"


def test_an_unexpected_error_shows_one_traceback_however_often_it_is_logged(terminal) -> None:
    logger, stream = terminal
    error = _raised(KeyError("column"))
    for where in ("task", "subflow", "flow"):
        logger.error("%s: Encountered exception during execution", where, exc_info=error)
    shown = stream.getvalue()
    assert shown.count("Traceback (most recent call last)") == 1
    assert "task: Encountered" in shown and "subflow" not in shown


def test_a_full_disk_is_expected_whether_the_os_or_duckdb_says_it() -> None:
    assert disk_full(OSError(errno.ENOSPC, "No space left on device"))
    duckdb_error = RuntimeError('Could not write file "w.wal": No space left on device')
    assert disk_full(duckdb_error) and expected(duckdb_error)
    assert not expected(OSError(errno.EACCES, "Permission denied"))
    assert not expected(KeyError("x"))


def test_one_line_folds_parser_newlines() -> None:
    message = "not a readable CSV (Error tokenizing data. C error: saw 2\n)"
    assert one_line(message) == "not a readable CSV (Error tokenizing data. C error: saw 2 )"
