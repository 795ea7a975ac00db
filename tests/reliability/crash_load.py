"""Run one warehouse load described by a JSON file, as its own process, so a test can kill it.

usage: python tests/reliability/crash_load.py WAREHOUSE SPEC.json

With SITREP_CRASH_AFTER=N the process SIGKILLs itself right after the Nth statement that
writes, once the warehouse is migrated: BEGIN, each DELETE, INSERT, UPDATE and CREATE TABLE
(rows, bookkeeping, the refresh of the figures), COMMIT, and as the last step the closing of
the connection.
SITREP_CRASH_AFTER=commit kills it right after COMMIT. The loader itself carries no hook: this
script hands it a connection that counts.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

import warehouse.load as loader
from flows.settings import Settings
from warehouse.load import LoadRequest, TableLoad, load

CRASH_ENV = "SITREP_CRASH_AFTER"
WRITES = {"BEGIN", "COMMIT", "DELETE", "INSERT", "UPDATE", "CLOSE"}


class CountingConnection:
    """A DuckDB connection that kills the process after the statement the test chose."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: str) -> None:
        self._con = con
        self._target = target
        self._steps = 0
        self.counting = False

    def execute(self, sql: str, *args: Any) -> Any:
        result = self._con.execute(sql, *args)
        self._step(sql)
        return result

    def executemany(self, sql: str, *args: Any) -> Any:
        result = self._con.executemany(sql, *args)
        self._step(sql)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def __enter__(self) -> CountingConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()
        self._step("CLOSE")

    def _step(self, sql: str) -> None:
        if not self.counting or not _writes(sql):
            return
        self._steps += 1
        hit = (
            sql.strip().upper() == "COMMIT"
            if self._target == "commit"
            else self._steps == int(self._target)
        )
        if hit:
            os.kill(os.getpid(), signal.SIGKILL)


def _writes(sql: str) -> bool:
    """Whether a statement counts as a step: it writes, or begins or ends the transaction."""
    code = " ".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")).upper()
    words = code.split()
    return bool(words) and (words[0] in WRITES or (words[0] == "CREATE" and "TABLE" in words[:4]))


def install_crash(target: str) -> None:
    """Make the loader's connections count statements from the end of its migration on."""
    connect, migrate = loader.connect, loader.migrate

    def counting_connect(*args: Any, **kwargs: Any) -> CountingConnection:
        return CountingConnection(connect(*args, **kwargs), target)

    def counted_migrate(con: CountingConnection) -> list[str]:
        applied = migrate(con._con)
        con.counting = True
        return applied

    loader.connect = counting_connect  # type: ignore[assignment]
    loader.migrate = counted_migrate  # type: ignore[assignment]


def request_from(spec: dict) -> LoadRequest:
    """The LoadRequest a spec describes (tables as TableLoad keyword dicts)."""
    return LoadRequest(
        load_run_id=spec["load_run_id"],
        source=spec["source"],
        kind=spec["kind"],
        started_at=datetime.fromisoformat(spec["started_at"]),
        tables=[TableLoad(**t) for t in spec["tables"]],
        replace_urls=spec["replace_urls"],
    )


if __name__ == "__main__":
    warehouse, spec_path = Path(sys.argv[1]), Path(sys.argv[2])
    if os.environ.get(CRASH_ENV):
        install_crash(os.environ[CRASH_ENV])
    limits = Settings().warehouse_limits  # SITREP_LOCK_WAIT, as in a `sitrep load`
    load(warehouse, request_from(json.loads(spec_path.read_text())), limits=limits)
