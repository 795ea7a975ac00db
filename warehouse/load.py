"""Idempotent, atomic loads of one source run's lake files into the warehouse."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock

from transforms.redaction import redact
from warehouse.connection_limits import DEFAULT_LIMITS, Limits
from warehouse.db import connect, migrate, statement, transaction
from warehouse.dims import load_dims
from warehouse.figure_checks import record_checks
from warehouse.figures import read_figures, refresh
from warehouse.preferences import copy_preferences, read_preferences

# The columns whose rows a new load replaces: a record, an article, or every fact of an article.
# DuckDB's memory in a load (the `duckdb_memory` setting overrides): the inserts and the figures'
# refresh spill past it. At 1GB a 1M-row world-shaped `sitrep load` peaked just over 1 GiB;
# at 512MB, 0.94 GiB in the same time. A 10M-row DTM load starts from ~540 MB of process (GX,
# the gazetteer) and peaked at 1,054 MB with 512MB, 1,016 MB with 384MB (25.8 s, not 23.5 s).
LOAD_MEMORY = "384MB"

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


def lock_for(db_path: Path, wait: float = DEFAULT_LIMITS.lock_wait) -> FileLock:
    """The file lock that keeps to one writer at a time when no Prefect server arbitrates.

    One lock object per path in a process (re-entrant), so code that already holds it can
    call a loader without waiting on itself; other processes wait up to `wait` seconds.
    """
    lock = _lock(str(db_path) + ".lock")
    lock.timeout = wait
    return lock


@cache
def _lock(path: str) -> FileLock:
    return FileLock(path)


def load(
    db_path: Path,
    request: LoadRequest,
    status: str = "loaded",
    error: str | None = None,
    filesystems: Sequence[Any] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> list[str]:
    """Replace this source run's partitions, record the run and refresh the figures of the
    countries it touched (warehouse/figures.py), in one transaction.

    Returns the ISO3 codes of those countries (whose report pages may have changed).
    `filesystems` are fsspec filesystems DuckDB reads remote lake URLs through (s3://, memory://).
    """
    lock = lock_for(db_path, limits.lock_wait)
    with lock, _tidy_wal(db_path), connect(db_path, limits=limits, memory=LOAD_MEMORY) as con:
        # Rows go in on every core: a table keeps no order (1M rows: 1.1 s, not 2.5 s).
        con.execute("SET preserve_insertion_order = false")
        for fs in filesystems:
            name = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
            if name not in con.list_filesystems():
                con.register_filesystem(fs)
        migrate(con)
        with transaction(con):
            reference_changed = load_dims(con)
            touched = _kind_change(con, request)
            for part in request.tables:
                touched |= _touched(con, request, part)
                _load_table(con, request, part)
            if request.watermark is not None and status == "loaded":
                _save_watermark(con, request)
            loads_figures = any(t.table == "displacement" for t in request.tables)
            if status == "loaded" and loads_figures:
                copy_preferences(con, read_preferences())  # the thresholds the checks read
            _record_run(con, request, status=status, error=error)
            refresh(con, None if reference_changed else touched)
            if status == "loaded" and loads_figures:
                with read_figures(con):
                    record_checks(con, request.load_run_id, request.source)
            if request.fingerprint is not None and status == "loaded":
                con.execute(
                    statement("save_source_inputs"),
                    {
                        "source": request.source,
                        "fingerprint": request.fingerprint,
                        "load_run_id": request.load_run_id,
                    },
                )
    return sorted(c for c in touched if c is not None)


def record_run(
    db_path: Path,
    request: LoadRequest,
    status: str,
    error: str | None,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Record a source run that loaded nothing (failed before loading, or inputs unchanged);
    no data table is touched."""
    lock = lock_for(db_path, limits.lock_wait)
    with lock, _tidy_wal(db_path), connect(db_path, limits=limits) as con:
        migrate(con)
        with transaction(con):
            _record_run(con, request, status=status, error=error)


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
    names = _names(table)
    if table == "displacement" and part.lake_path and part.rows_loaded:
        _keep_history(con, req, part.lake_path)
    if req.replace_urls:
        urls = {"source": req.source, "urls": req.replace_urls}
        con.execute(statement("delete_by_url").format(**names), urls)
        con.execute(statement("delete_quarantine_by_url"), urls | {"table": table})
    if part.lake_path and part.rows_loaded:
        lake = {"lake": part.lake_path}
        con.execute(statement("delete_by_keys").format(**names), lake)
        con.execute(statement("insert_rows").format(**names), lake)
    if part.quarantine_path and part.rows_quarantined:
        con.execute(
            statement("insert_quarantine"),
            {
                "load_run_id": req.load_run_id,
                "table": table,
                "source": req.source,
                "path": part.quarantine_path,
            },
        )
    if part.results:  # executemany refuses an empty list
        con.executemany(
            statement("insert_validation_result"),
            [
                {
                    "load_run_id": req.load_run_id,
                    "table": table,
                    "expectation": r["expectation"],
                    "column": r["column"],
                    "success": r["success"],
                    "unexpected_count": r["unexpected_count"],
                    "details": r["details"],
                }
                for r in part.results
            ],
        )
    con.execute(
        statement("insert_load_run_table"),
        {
            "load_run_id": req.load_run_id,
            "table": table,
            "rows_in": part.rows_in,
            "rows_loaded": part.rows_loaded,
            "rows_quarantined": part.rows_quarantined,
        },
    )


def _touched(con: duckdb.DuckDBPyConnection, req: LoadRequest, part: TableLoad) -> set[str | None]:
    """The countries whose figures loading `part` can change (read before it is loaded)."""
    table = part.table
    prefix = "touched_articles" if table == "articles" else "touched"
    names = _names(table)
    found: set[str | None] = set()
    if req.replace_urls:
        urls = {"source": req.source, "urls": req.replace_urls}
        found |= _column(con, statement(f"{prefix}_by_url").format(**names), urls)
    if part.lake_path and part.rows_loaded:
        lake = {"lake": part.lake_path}
        found |= _column(con, statement(f"{prefix}_by_lake").format(**names), lake)
    return found


def _names(table: str) -> dict[str, str]:
    """What the SQL templates of one table are filled with: its name and how a lake row `n`
    matches a row `t` of it (its replace keys; both from REPLACE_KEYS, never from input)."""
    keys = REPLACE_KEYS.get(table, ())
    return {"table": table, "match": " AND ".join(f"n.{k} = t.{k}" for k in keys)}


def _kind_change(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> set[str | None]:
    """Every country of the source when its kind changes (totals read breakdowns by kind)."""
    before = con.execute(statement("source_kind"), {"source": req.source}).fetchone()
    if before is None or before[0] is None or before[0] == req.kind:
        return set()
    return _column(con, statement("source_countries"), {"source": req.source})


def _column(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> set[str | None]:
    return {row[0] for row in con.execute(sql, params).fetchall()}


def _keep_history(con: duckdb.DuckDBPyConnection, req: LoadRequest, lake_path: str) -> None:
    """Rows about to be replaced by a different version of the same record go to history."""
    con.execute(statement("keep_history"), {"load_run_id": req.load_run_id, "lake": lake_path})


def _save_watermark(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> None:
    con.execute(
        statement("save_watermark"),
        {
            "source": req.source,
            "kind": req.kind,
            "value": req.watermark,
            "load_run_id": req.load_run_id,
        },
    )


def _record_run(
    con: duckdb.DuckDBPyConnection, req: LoadRequest, status: str, error: str | None
) -> None:
    totals = {
        k: sum(getattr(t, k) for t in req.tables)
        for k in ("rows_in", "rows_loaded", "rows_quarantined")
    }
    con.execute(
        statement("insert_load_run"),
        {
            "load_run_id": req.load_run_id,
            "flow_run_id": req.flow_run_id,
            "source": req.source,
            "kind": req.kind,
            "started_at": req.started_at,
            "finished_at": datetime.now(UTC),
            **totals,
            "status": status,
            "error": None if error is None else redact(error),  # no credential is ever stored
        },
    )


def results_as_dicts(results: Sequence[object]) -> list[dict[str, object]]:
    """Expectation results (dataclasses) as plain dicts for a LoadRequest."""
    return [json.loads(json.dumps(vars(r))) for r in results]
