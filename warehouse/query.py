"""Read-only SQL on the warehouse: ad-hoc statements and named queries with bound parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import connect

QUERIES = Path(__file__).parent / "queries"


class QueryError(ValueError):
    """A query that cannot run: unknown name, bad SQL, or an attempt to write."""


def named_sql(name: str) -> str:
    """The text of `warehouse/queries/<name>.sql` (dashes and underscores are the same)."""
    path = QUERIES / f"{name.replace('-', '_')}.sql"
    if not path.exists():
        known = ", ".join(sorted(p.stem.replace("_", "-") for p in QUERIES.glob("*.sql")))
        raise QueryError(f"no named query {name!r}; known: {known}")
    return path.read_text()


def run_query(
    db_path: Path, sql: str, params: dict[str, Any] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement on a read-only connection with file access disabled."""
    with connect(db_path, read_only=True) as con:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            cur = con.execute(sql, params or None)
        except duckdb.Error as exc:
            raise QueryError(_explain(exc)) from exc
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()


def _explain(exc: duckdb.Error) -> str:
    text = str(exc).splitlines()[0]
    if "read-only" in text.lower() or "read only" in text.lower():
        return f"the warehouse is opened read-only for queries: {text}"
    if "external access" in text.lower() or "disabled" in text.lower():
        return f"queries cannot read or write files outside the warehouse: {text}"
    return text
