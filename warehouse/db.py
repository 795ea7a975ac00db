"""Open the warehouse, apply migrations and (re)create views."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from transforms.errors import SitrepError
from warehouse.connection_limits import DEFAULT_LIMITS, LOCK_WAIT_SETTING, Limits

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
VIEWS = HERE / "views"
WRITES = HERE / "writes"
MIGRATION_NAME = re.compile(r"^(\d{3})_(\w+)\.sql$")


class WarehouseMissingError(SitrepError, FileNotFoundError):
    """The warehouse file does not exist yet (nothing has been loaded)."""


def memory_config(
    default: str = "1GB", limits: Limits = DEFAULT_LIMITS
) -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB's memory limit (the `duckdb_memory` setting, else `default`): past it DuckDB
    spills to disk, so a load of any size stays in bounded memory (its own default is 80% of
    RAM)."""
    return {"memory_limit": limits.memory_limit(default)}


class WarehouseBusyError(SitrepError, TimeoutError):
    """Another process kept the warehouse file open for longer than we were willing to wait."""


def connect(
    path: Path, read_only: bool = False, limits: Limits = DEFAULT_LIMITS, memory: str = "1GB"
) -> duckdb.DuckDBPyConnection:
    """A connection; read-only ones need the file to exist and cannot write or read other files.

    DuckDB lets one process write or several read, never both: while another process holds
    the file, wait (up to `limits.lock_wait` seconds) instead of failing, so a reader sees
    the warehouse before or after a load, and a load outlasts a long query. DuckDB's memory
    is capped at `memory`, or the `duckdb_memory` setting when set.
    """
    if read_only and not path.exists():
        raise WarehouseMissingError(
            f"no warehouse at {path}: run `sitrep run` (or `make run`) first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    limit = limits.lock_wait
    deadline = time.monotonic() + limit
    while True:
        try:
            return duckdb.connect(
                str(path), read_only=read_only, config=memory_config(memory, limits)
            )
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                holder = str(exc).splitlines()[0]
                raise WarehouseBusyError(
                    f"{path} is in use by another process after waiting {limit:g} s ({holder}); "
                    f"try again when it finishes, or raise {LOCK_WAIT_SETTING}"
                ) from exc
            time.sleep(0.05)


@cache
def statement(name: str) -> str:
    """The SQL of `warehouse/writes/<name>.sql`: the statements loads and refreshes send."""
    return (WRITES / f"{name}.sql").read_text()


def migrations() -> list[tuple[int, str, Path]]:
    """The migration files in order: (version, name, path)."""
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named NNN_name.sql")
        found.append((int(match[1]), match[2], path))
    versions = [v for v, _, _ in found]
    clashes = sorted({f"{v:03d}" for v in versions if versions.count(v) > 1})
    if clashes:
        raise ValueError(
            f"two migrations share the number {', '.join(clashes)} in {MIGRATIONS}: "
            "renumber the newer one to the next free number"
        )
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction, then recreate the views when
    their files changed (or one is missing)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM _migrations").fetchall()}
    applied = []
    for version, name, path in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(path.read_text())
            con.execute(statement("record_migration"), {"version": version, "name": name})
        applied.append(path.name)
    digest, count = views_hash(), _view_count()
    tracked = _has_view_definitions(con)  # not before migration 009
    current = tracked and con.execute(
        statement("views_current"), {"sha256": digest, "views": count}
    ).fetchone() == (True,)
    if not current:
        with transaction(con):
            for view in sorted(VIEWS.glob("*.sql")):
                con.execute(view.read_text())
            if tracked:
                con.execute(statement("views_created"), {"name": "views", "sha256": digest})
    return applied


def _has_view_definitions(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name = 'main' AND table_name = '_view_definitions' AND NOT temporary"
    ).fetchone()
    return bool(found and found[0])


def views_hash() -> str:
    """SHA-256 over the view files, names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(VIEWS.glob("*.sql")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _view_count() -> int:
    """How many views the view files create."""
    pattern = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+VIEW\b", re.IGNORECASE | re.MULTILINE)
    return sum(len(pattern.findall(p.read_text())) for p in VIEWS.glob("*.sql"))


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT, rolled back whole on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
