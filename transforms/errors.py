"""The one mark of an expected failure: bad input, configuration or state, told in one line."""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable


class SitrepError(Exception):
    """An error the user can act on: the CLI prints its message as one line and exits 2.

    Anything else that escapes is a bug and gets one traceback.
    """


def one_line(message: object) -> str:
    """A message folded onto one line: parser errors carry newlines and runs of blanks."""
    return " ".join(str(message).split())


def disk_full(error: BaseException) -> bool:
    """'No space left on device', from the OS or from DuckDB (which wraps it in its own)."""
    return getattr(error, "errno", None) == errno.ENOSPC or "No space left on device" in str(error)


def expected(error: BaseException) -> bool:
    """An error told in one line: sitrep's own, or a full disk (the user frees space)."""
    return isinstance(error, SitrepError) or disk_full(error)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest of `choices`, or nothing when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
