"""Read-only SQL on the warehouse: ad-hoc statements and named queries with bound parameters."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from transforms.errors import SitrepError
from warehouse.connection_limits import DEFAULT_LIMITS, MEMORY_SETTING, Limits
from warehouse.db import connect
from warehouse.figures import read_materialised
from warehouse.query_limits import (
    QueryTimeoutError,
    bounded,
    memory_ceiling,
    size_bytes,
    spill_folder,
)

if TYPE_CHECKING:
    import pyarrow as pa  # imported where Arrow is used: plain reads start without it

T = TypeVar("T")

QUERIES = Path(__file__).parent / "queries"
PARAM_LINE = re.compile(r"^--\s*@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<pattern>\S+)\s*(?P<help>.*)$")
PLACEHOLDER = re.compile(r"\$([A-Za-z_]\w*)")
ALLOWED = {"SELECT"}
DEFAULT_TIMEOUT = 60.0
CHUNK_ROWS = 10_000
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


class Result:
    """A query's columns and rows, read in chunks until the query is stopped."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        params: dict[str, Any] | None,
        stop: threading.Event,
    ) -> None:
        self._con = con
        self._sql = sql
        self._params = params or None
        self._stop = stop
        self._columns: list[str] | None = None
        self._reader: pa.RecordBatchReader | None = None

    @property
    def columns(self) -> list[str]:
        """The result's column names (runs the statement on first use)."""
        if self._columns is None:
            self._con.execute(self._sql, self._params)
            self._columns = [d[0] for d in self._con.description or []]
        return self._columns

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[tuple[Any, ...]]]:
        """Rows as plain Python values, `size` at a time."""
        if not self.columns:
            return
        while chunk := self._con.fetchmany(size):
            self._check()
            yield chunk

    def arrow_reader(self, size: int = CHUNK_ROWS) -> pa.RecordBatchReader:
        """The rows as a stream of Arrow record batches of `size` rows (types kept)."""
        if self._reader is None:
            relation = self._con.sql(self._sql, params=self._params)
            self._reader = relation.to_arrow_reader(size)
        return self._reader

    def batches(self, size: int = CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
        """The record batches of `arrow_reader`, checked for a stop between them."""
        for batch in self.arrow_reader(size):
            self._check()
            yield batch

    def _check(self) -> None:
        if self._stop.is_set():
            raise QueryTimeoutError("the query was stopped")


def run(
    db_path: Path,
    sql: str,
    params: dict[str, Any] | None,
    consume: Callable[[Result], T],
    timeout: float = DEFAULT_TIMEOUT,
    limits: Limits = DEFAULT_LIMITS,
) -> T:
    """Run one read-only statement and hand its result to `consume`, within the limits.

    The statement and `consume` run on a worker thread that is interrupted after
    `timeout` seconds or on Ctrl-C; spill files go to a folder of this query's own,
    removed on the way out; the process's memory is capped while it runs.
    """
    if timeout <= 0:
        raise QueryError("the query time limit must be more than 0 seconds")
    with (
        spill_folder(db_path.parent / "tmp") as spill,
        _checked(db_path, sql, spill, limits) as con,
    ):
        cap = size_bytes(str(_setting(con, "memory_limit")))

        def work(stop: threading.Event) -> T:
            return consume(Result(con, sql, params, stop))

        try:
            with memory_ceiling(cap):
                return bounded(con, work, timeout)
        except QueryTimeoutError as exc:
            raise QueryError(
                f"{exc}: narrow it (a WHERE, a LIMIT) or raise --timeout / SITREP_QUERY_TIMEOUT"
            ) from None
        except MemoryError as exc:
            raise _out_of_memory(exc) from None


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> object:
    rows = con.execute("SELECT current_setting($name)", {"name": name}).fetchall()
    return rows[0][0] if rows else None


def run_query(
    db_path: Path,
    sql: str,
    params: dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one read-only statement (values as plain Python)."""

    def collect(result: Result) -> tuple[list[str], list[tuple[Any, ...]]]:
        return result.columns, [row for chunk in result.chunks() for row in chunk]

    return run(db_path, sql, params, collect, timeout, limits)


def run_arrow(
    db_path: Path,
    sql: str,
    params: dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    limits: Limits = DEFAULT_LIMITS,
) -> pa.Table:
    """The result of one read-only statement as an Arrow table (types kept, for Parquet)."""

    import pyarrow as pa

    def collect(result: Result) -> pa.Table:
        reader = result.arrow_reader()
        return pa.Table.from_batches(list(result.batches()), schema=reader.schema)

    return run(db_path, sql, params, collect, timeout, limits)


@contextmanager
def _checked(
    db_path: Path, sql: str, spill: Path, limits: Limits
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection with file access disabled, once the statement passed the check;
    it reads the materialised figures where they are current (warehouse/figures.py)."""
    with connect(db_path, read_only=True, limits=limits) as con:
        con.execute("SET temp_directory = $dir", {"dir": str(spill)})
        con.execute("SET enable_progress_bar = false")
        con.execute("SET python_enable_replacements = false")
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        read_materialised(con)
        con.execute("SET lock_configuration = true")
        check_statement(con, sql)
        try:
            yield con
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(exc) from exc
        except duckdb.Error as exc:
            raise QueryError(_explain(exc)) from exc


def _out_of_memory(exc: BaseException) -> QueryError:
    return QueryError(
        f"the query needs more memory than its limit allows ({_first_line(exc)}); narrow it, "
        f"or raise {MEMORY_SETTING} (the warehouse's memory cap, default 1GB)"
    )


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT (or EXPLAIN of one SELECT) before it reaches the engine."""
    kind = _statement_kind(con, sql)
    if kind == "EXPLAIN":
        inner = _statement_kind(con, _explained(sql))
        if inner != "SELECT":
            raise QueryError(f"EXPLAIN {inner} is refused: EXPLAIN takes one read-only SELECT")
    elif kind not in ALLOWED:
        raise QueryError(REFUSALS.get(kind, f"{kind} is refused: queries run one read-only SELECT"))


def _statement_kind(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    if len(statements) != 1:
        raise QueryError(f"give one statement at a time, got {len(statements)}")
    return str(statements[0].type.name)


def _explained(sql: str) -> str:
    """The statement an EXPLAIN wraps: the text after EXPLAIN, ANALYZE and any (options)."""
    words = iter(_words(sql))
    for _, word in words:
        if word.upper() == "EXPLAIN":
            break
    depth = 0
    for pos, word in words:
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif depth == 0 and word.upper() not in {"ANALYZE", "ANALYSE"}:
            return sql[pos:]
    raise QueryError("EXPLAIN needs a statement to explain")


def _words(sql: str) -> list[tuple[int, str]]:
    """(position, text) of each token of `sql` but comments, by DuckDB's own tokenizer."""
    tokens = duckdb.tokenize(sql)
    ends = [pos for pos, _ in tokens[1:]] + [len(sql)]
    return [
        (pos, sql[pos:end].strip())
        for (pos, kind), end in zip(tokens, ends, strict=True)
        if kind != duckdb.token_type.comment
    ]


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
