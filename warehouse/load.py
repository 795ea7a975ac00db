"""Idempotent, atomic loads of one source run's lake files into the warehouse."""

from __future__ import annotations

import itertools
import json
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock

from warehouse.db import LOCK_WAIT_ENV, connect, migrate, transaction
from warehouse.dims import load_dims
from warehouse.figure_checks import record_checks
from warehouse.preferences import copy_preferences, read_preferences

# The columns whose rows a new load replaces: a record, an article, or every fact of an article.
REPLACE_KEYS: dict[str, tuple[str, ...]] = {
    "displacement": ("source", "source_record_id"),
    "articles": ("article_id",),
    "article_facts": ("article_id",),
    "article_places": ("article_id",),
}


@dataclass
class TableLoad:
    """One table of a source run: the lake file to load, quarantine file and quality record."""

    table: str
    lake_path: str | None
    quarantine_path: str | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    results: list[dict[str, object]] = field(default_factory=list)


@dataclass
class LoadRequest:
    """Everything one source run puts in the warehouse, committed together or not at all."""

    load_run_id: str
    source: str
    kind: str
    started_at: datetime
    tables: list[TableLoad]
    replace_urls: list[str] = field(default_factory=list)
    flow_run_id: str | None = None
    # A live source's new high-water mark (JSON), saved only when the load succeeds.
    watermark: str | None = None
    # What the run read (flows.incremental.input_fingerprint), saved only when it succeeds.
    fingerprint: str | None = None


def lock_for(db_path: Path) -> FileLock:
    """The file lock that keeps to one writer at a time when no Prefect server arbitrates.

    One lock object per path in a process (re-entrant), so code that already holds it can
    call a loader without waiting on itself; other processes wait up to SITREP_LOCK_WAIT s.
    """
    lock = _lock(str(db_path) + ".lock")
    lock.timeout = float(os.environ.get(LOCK_WAIT_ENV, "600"))
    return lock


@cache
def _lock(path: str) -> FileLock:
    return FileLock(path)


CRASH_ENV = "SITREP_CRASH_AFTER"
_steps = itertools.count(1)


def crash_point() -> None:
    """Test hook: with SITREP_CRASH_AFTER=N the process SIGKILLs itself at the Nth load step.

    tests/reliability kill loads at every step this way and check that nothing is lost.
    """
    target = os.environ.get(CRASH_ENV)
    if target and next(_steps) == int(target):
        os.kill(os.getpid(), signal.SIGKILL)


def load(
    db_path: Path,
    request: LoadRequest,
    status: str = "loaded",
    error: str | None = None,
    filesystems: Sequence[Any] = (),
) -> None:
    """Replace this source run's partitions and record the run, in one transaction.

    `filesystems` are fsspec filesystems DuckDB reads remote lake URLs through (s3://, memory://).
    """
    with lock_for(db_path), _tidy_wal(db_path), connect(db_path) as con:
        for fs in filesystems:
            name = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
            if name not in con.list_filesystems():
                con.register_filesystem(fs)
        migrate(con)
        with transaction(con):
            load_dims(con)
            for part in request.tables:
                _load_table(con, request, part)
                crash_point()
            if request.watermark is not None and status == "loaded":
                _save_watermark(con, request)
            if status == "loaded" and any(t.table == "displacement" for t in request.tables):
                copy_preferences(con, read_preferences())  # the thresholds the checks read
                record_checks(con, request.load_run_id, request.source)
            if request.fingerprint is not None and status == "loaded":
                con.execute(
                    "INSERT OR REPLACE INTO source_inputs VALUES (?, ?, ?, now())",
                    [request.source, request.fingerprint, request.load_run_id],
                )
            _record_run(con, request, status=status, error=error)
            crash_point()
        crash_point()


def record_run(db_path: Path, request: LoadRequest, status: str, error: str | None) -> None:
    """Record a source run that loaded nothing (failed before loading, or inputs unchanged);
    no data table is touched."""
    with lock_for(db_path), _tidy_wal(db_path), connect(db_path) as con:
        migrate(con)
        with transaction(con):
            _record_run(con, request, status=status, error=error)
            crash_point()


@contextmanager
def _tidy_wal(db_path: Path) -> Iterator[None]:
    """A commit that failed to write its log (a full disk) leaves an empty `.wal` file: it
    holds nothing to replay, so it goes once the connection is closed (the lock still held)."""
    try:
        yield
    finally:
        wal = db_path.with_name(db_path.name + ".wal")
        if wal.exists() and wal.stat().st_size == 0:
            wal.unlink()


def _load_table(con: duckdb.DuckDBPyConnection, req: LoadRequest, part: TableLoad) -> None:
    table = part.table
    if table not in REPLACE_KEYS:
        raise ValueError(f"unknown table {table!r}")
    if table == "displacement" and part.lake_path and part.rows_loaded:
        _keep_history(con, req, part.lake_path)
    if req.replace_urls:
        con.execute(
            f"DELETE FROM {table} WHERE source = ? AND source_url IN (SELECT unnest(?))",
            [req.source, req.replace_urls],
        )
        con.execute(
            'DELETE FROM quarantine WHERE "table" = ? AND source = ? '
            "AND source_url IN (SELECT unnest(?))",
            [table, req.source, req.replace_urls],
        )
        crash_point()
    if part.lake_path and part.rows_loaded:
        keys = ", ".join(REPLACE_KEYS[table])
        lake = "read_parquet(?)"
        con.execute(
            f"DELETE FROM {table} WHERE ({keys}) IN (SELECT ({keys}) FROM {lake})",
            [part.lake_path],
        )
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {lake}", [part.lake_path])
        crash_point()
    if part.quarantine_path and part.rows_quarantined:
        con.execute(
            """INSERT INTO quarantine BY NAME
               SELECT ? AS load_run_id, ? AS "table", row_number() OVER () AS row_no,
                      ? AS source, source_url, source_record_id, reason, record
               FROM read_parquet(?)""",
            [req.load_run_id, table, req.source, part.quarantine_path],
        )
    if part.results:  # executemany refuses an empty list
        con.executemany(
            "INSERT INTO validation_results VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    req.load_run_id,
                    table,
                    r["expectation"],
                    r["column"],
                    r["success"],
                    r["unexpected_count"],
                    r["details"],
                ]
                for r in part.results
            ],
        )
    con.execute(
        "INSERT INTO load_run_tables VALUES (?, ?, ?, ?, ?)",
        [req.load_run_id, table, part.rows_in, part.rows_loaded, part.rows_quarantined],
    )


def _keep_history(con: duckdb.DuckDBPyConnection, req: LoadRequest, lake_path: str) -> None:
    """Rows about to be replaced by a different version of the same record go to history."""
    con.execute(
        """INSERT INTO displacement_history BY NAME
           SELECT d.source, d.source_record_id, d.figure, d.unit, d.qualifier, d.period_start,
                  d.period_end, d.reported_on, d.record_hash, d.load_run_id,
                  to_json(d) AS record, ? AS replaced_by_load_run_id, now() AS replaced_at
           FROM displacement d
           JOIN read_parquet(?) n USING (source, source_record_id)
           WHERE d.record_hash IS DISTINCT FROM n.record_hash
           ON CONFLICT DO NOTHING""",
        [req.load_run_id, lake_path],
    )


def _save_watermark(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> None:
    con.execute(
        "INSERT OR REPLACE INTO source_watermarks VALUES (?, ?, ?, ?, now())",
        [req.source, req.kind, req.watermark, req.load_run_id],
    )


def _record_run(
    con: duckdb.DuckDBPyConnection, req: LoadRequest, status: str, error: str | None
) -> None:
    totals = [
        sum(getattr(t, k) for t in req.tables)
        for k in ("rows_in", "rows_loaded", "rows_quarantined")
    ]
    con.execute(
        "INSERT INTO load_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            req.load_run_id,
            req.flow_run_id,
            req.source,
            req.kind,
            req.started_at,
            datetime.now(UTC),
            *totals,
            status,
            error,
        ],
    )


def results_as_dicts(results: Sequence[object]) -> list[dict[str, object]]:
    """Expectation results (dataclasses) as plain dicts for a LoadRequest."""
    return [json.loads(json.dumps(vars(r))) for r in results]
