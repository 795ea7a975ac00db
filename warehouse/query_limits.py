"""Bounds of one ad-hoc query: a time limit, a memory ceiling and a spill folder of its own."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")
SPILL_PREFIX = "query-"
SIZE = re.compile(r"^\s*([\d.]+)\s*(bytes|[KMGT]i?B)?\s*$", re.IGNORECASE)
UNITS = {"": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
MIN_HEADROOM = 2**30  # DuckDB's own data beyond its buffers (threads, plans) grows to ~0.7x the cap


class QueryTimeoutError(TimeoutError):
    """The query ran past its time limit and was interrupted."""


@contextmanager
def spill_folder(parent: Path) -> Iterator[Path]:
    """A fresh folder for DuckDB's spill files, removed on the way out whatever happened.

    It sits under `parent` (the warehouse's folder: spill files belong on a disk, not on a
    tmpfs /tmp), or in the system's temporary folder when `parent` is not writable. Folders
    left by killed queries (their process gone) are removed first.
    """
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_orphans(parent, SPILL_PREFIX)
        folder = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=parent))
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix=f"sitrep-{SPILL_PREFIX}{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_orphans(parent: Path, prefix: str = "") -> None:
    """Remove the folders `<prefix><pid>-…` under `parent` whose process is gone (killed)."""
    for folder in parent.glob(f"{prefix}*-*"):
        pid = folder.name.removeprefix(prefix).split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def size_bytes(text: str) -> int | None:
    """Bytes of a DuckDB size such as '1GB' or '953.6 MiB' (None when it is not one)."""
    match = SIZE.match(text)
    if not match:
        return None
    return int(float(match[1]) * UNITS[(match[2] or "").upper()])


_ceiling_lock = threading.Lock()
_ceiling_users = 0
_ceiling_before: tuple[int, int] | None = None


@contextmanager
def memory_ceiling(cap: int | None) -> Iterator[None]:
    """Cap the process's data segment at what it holds now + max(2 x cap, 1 GiB) (Linux).

    DuckDB's memory limit bounds its buffers only: one `repeat('x', 2000000000)` allocates a
    2 GiB string outside them. The kernel limit (RLIMIT_DATA) refuses such an allocation, which
    DuckDB reports as an out-of-memory error, so the query fails instead of the machine.
    Concurrent queries in one process share the first one's ceiling; the last one lifts it.
    """
    global _ceiling_users, _ceiling_before
    with _ceiling_lock:
        if _ceiling_users == 0 and cap is not None:
            _ceiling_before = _set_ceiling(cap)
        _ceiling_users += 1
    try:
        yield
    finally:
        with _ceiling_lock:
            _ceiling_users -= 1
            if _ceiling_users == 0 and _ceiling_before is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_DATA, _ceiling_before)
                _ceiling_before = None


def _set_ceiling(cap: int) -> tuple[int, int] | None:
    data = _data_bytes()
    if data is None:
        return None
    import resource

    before = resource.getrlimit(resource.RLIMIT_DATA)
    soft, hard = before
    ceiling = data + max(2 * cap, MIN_HEADROOM)
    if soft != resource.RLIM_INFINITY and soft <= ceiling:
        return None
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (ceiling, hard))
    return before


def _data_bytes() -> int | None:
    """The process's data segment (VmData), what RLIMIT_DATA counts; None off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmData:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) * 1024 if match else None


def bounded(
    con: duckdb.DuckDBPyConnection, work: Callable[[threading.Event], T], timeout: float
) -> T:
    """Run `work` on a worker thread; interrupt DuckDB after `timeout` s or on Ctrl-C.

    The calling thread is the timer: it waits for the worker, so a signal (Ctrl-C, or SIGTERM
    turned into an exception by the caller) reaches Python at once, while a query running in
    DuckDB's C code would hold it off until the end. `work` gets an event set on interruption,
    to check between the chunks it reads.
    """
    stop = threading.Event()
    done = threading.Event()  # not Thread.join: a join cut short by Ctrl-C forgets the thread
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work(stop)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="sitrep-query", daemon=True).start()
    try:
        finished = done.wait(timeout)
    except BaseException:
        _interrupt(con, stop, done)
        raise
    if not finished:
        _interrupt(con, stop, done)
        raise QueryTimeoutError(f"the query ran past its time limit of {timeout:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _interrupt(
    con: duckdb.DuckDBPyConnection, stop: threading.Event, done: threading.Event
) -> None:
    stop.set()
    con.interrupt()
    done.wait()
