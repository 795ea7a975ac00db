"""What a source's last successful load got to: high-water marks and the inputs it read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from warehouse.connection_limits import DEFAULT_LIMITS, Limits
from warehouse.db import connect
from warehouse.load import lock_for


def current(db_path: Path, source: str, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The source's marks by API location ({} before its first successful load)."""
    sql = "SELECT value FROM source_watermarks WHERE source = ?"
    value = _value(db_path, sql, source, limits)
    marks = json.loads(value) if value is not None else {}
    return marks if isinstance(marks, dict) else {}


def last_inputs(db_path: Path, source: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The fingerprint of the inputs of the source's last successful load (None before one)."""
    sql = "SELECT fingerprint FROM source_inputs WHERE source = ?"
    return _value(db_path, sql, source, limits)


def _value(db_path: Path, sql: str, source: str, limits: Limits) -> str | None:
    """One text value about the source; None when absent (or the warehouse predates its table).

    Read between writers (under the warehouse lock), so a load in progress is never half seen.
    """
    if not db_path.exists():
        return None
    with lock_for(db_path, limits.lock_wait), connect(db_path, True, limits) as con:
        try:
            row = con.execute(sql, [source]).fetchone()
        except duckdb.CatalogException:  # a warehouse from before the table's migration
            return None
    return None if row is None else str(row[0])
