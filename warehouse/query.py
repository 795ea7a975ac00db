"""Read-only SQL on the warehouse: ad-hoc statements and named queries with bound parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from transforms.errors import SitrepError
from warehouse.db import connect

QUERIES = Path(__file__).parent / "queries"
PARAM_LINE = re.compile(r"^--\s*@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<pattern>\S+)\s*(?P<help>.*)$")
PLACEHOLDER = re.compile(r"\$([A-Za-z_]\w*)")
ALLOWED = {"SELECT", "EXPLAIN"}
REFUSALS = {
    "ATTACH": "ATTACH is refused: queries read this warehouse only",
    "DETACH": "DETACH is refused: queries read this warehouse only",
    "COPY": "COPY is refused: write results with --format csv|json|parquet --out FILE",
    "EXPORT": "EXPORT is refused: write results with --format csv|json|parquet --out FILE",
    "LOAD": "INSTALL and LOAD are refused: queries run without extensions",
    "SET": "SET is refused: query settings are fixed (read-only, no file access)",
    "VARIABLE_SET": "SET is refused: query settings are fixed (read-only, no file access)",
    "PRAGMA": "PRAGMA is refused: query settings are fixed (read-only, no file access)",
}


class QueryError(SitrepError, ValueError):
    """A query that cannot run: unknown name, bad SQL, a bad parameter, or an attempt to write."""


@dataclass(frozen=True)
class Param:
    """A declared parameter of a named query: the pattern its value must match, and its help."""

    name: str
    pattern: str
    help: str


@dataclass(frozen=True)
class NamedQuery:
    """A file of `warehouse/queries/`: its name, first comment line, SQL and parameters."""

    name: str
    summary: str
    sql: str
    params: dict[str, Param] = field(default_factory=dict)


def named_queries() -> list[NamedQuery]:
    """Every named query, by name."""
    return [_parse(path) for path in sorted(QUERIES.glob("*.sql"))]


def named_query(name: str) -> NamedQuery:
    """The query `warehouse/queries/<name>.sql` (dashes and underscores are the same)."""
    path = QUERIES / f"{name.replace('-', '_')}.sql"
    if not path.exists() or not re.fullmatch(r"[\w-]+", name):
        known = ", ".join(q.name for q in named_queries())
        raise QueryError(f"no named query {name!r}; known: {known}")
    return _parse(path)


def named_sql(name: str) -> str:
    """The SQL text of a named query."""
    return named_query(name).sql


def _parse(path: Path) -> NamedQuery:
    sql = path.read_text()
    comments = [ln for ln in sql.splitlines() if ln.startswith("--")]
    params = {}
    for line in comments:
        match = PARAM_LINE.match(line)
        if match:
            params[match["name"]] = Param(match["name"], match["pattern"], match["help"])
    summary = comments[0].lstrip("- ").strip() if comments else ""
    return NamedQuery(path.stem.replace("_", "-"), summary, sql, params)


def bind(query: NamedQuery, values: dict[str, str]) -> dict[str, Any]:
    """Parameters for a named query: declared ones checked against their pattern, others NULL."""
    for key, value in values.items():
        param = query.params.get(key)
        if param is None and key not in placeholders(query.sql):
            known = ", ".join(sorted(placeholders(query.sql))) or "none"
            raise QueryError(f"{query.name} has no parameter {key!r}; parameters: {known}")
        if param is not None and not re.fullmatch(param.pattern, value):
            expected = param.help.split(" (")[0] or param.pattern
            raise QueryError(f"--param {key}={value!r} refused: {query.name} expects {expected}")
    return {key: values.get(key) for key in placeholders(query.sql)}


def placeholders(sql: str) -> list[str]:
    """The `$name` placeholders of a statement."""
    return sorted(set(PLACEHOLDER.findall(sql)))


def run_query(
    db_path: Path, sql: str, params: dict[str, Any] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one read-only statement (values as plain Python)."""
    with _checked(db_path, sql) as con:
        cur = con.execute(sql, params or None)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()


def run_arrow(db_path: Path, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
    """The result of one read-only statement as an Arrow table (types kept, for Parquet)."""
    with _checked(db_path, sql) as con:
        return con.sql(sql, params=params or None).to_arrow_table()


@contextmanager
def _checked(db_path: Path, sql: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection with file access disabled, once the statement passed the check."""
    with connect(db_path, read_only=True) as con:
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET lock_configuration = true")
        check_statement(con, sql)
        try:
            yield con
        except duckdb.Error as exc:
            raise QueryError(_explain(exc)) from exc


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT (or EXPLAIN) before it reaches the engine."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    if len(statements) != 1:
        raise QueryError(f"give one statement at a time, got {len(statements)}")
    kind = statements[0].type.name
    if kind not in ALLOWED:
        raise QueryError(REFUSALS.get(kind, f"{kind} is refused: queries run one read-only SELECT"))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0]


def _explain(exc: duckdb.Error) -> str:
    text = _first_line(exc)
    lower = text.lower()
    if "read-only" in lower or "read only" in lower:
        return f"the warehouse is opened read-only for queries: {text}"
    if "external access" in lower or "permission" in lower:
        return f"queries cannot read or write files outside the warehouse: {text}"
    return text
