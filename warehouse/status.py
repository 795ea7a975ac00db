"""Read-side summaries of load runs, for the CLI and the Prefect artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from warehouse.connection_limits import DEFAULT_LIMITS, Limits
from warehouse.db import connect
from warehouse.query import named_sql


def rows_as_dicts(cursor: Any) -> list[dict[str, Any]]:
    """A DuckDB result as a list of dicts (values as plain Python)."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def run_counts(
    db_path: Path, flow_run_id: str | None, limits: Limits = DEFAULT_LIMITS
) -> list[dict[str, Any]]:
    """Per source and table: rows in, loaded, quarantined for a flow run (or the latest)."""
    if not db_path.exists():
        return []
    with connect(db_path, read_only=True, limits=limits) as con:
        cur = con.execute(named_sql("run_counts"), {"flow_run_id": flow_run_id})
        return rows_as_dicts(cur)


def source_status(db_path: Path, limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    """Per source: last run, its counts and status, rows held and freshness."""
    with connect(db_path, read_only=True, limits=limits) as con:
        return rows_as_dicts(con.execute(named_sql("status")))


def run_status(db_path: Path, load_run_id: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The recorded status of one source run; None when it never committed."""
    if not db_path.exists():
        return None
    with connect(db_path, read_only=True, limits=limits) as con:
        row = con.execute(
            "SELECT status FROM load_runs WHERE load_run_id = ?", [load_run_id]
        ).fetchone()
    return str(row[0]) if row else None
