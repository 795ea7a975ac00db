"""Open the warehouse, apply migrations and (re)create views."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
VIEWS = HERE / "views"
MIGRATION_NAME = re.compile(r"^(\d{3})_(\w+)\.sql$")


class WarehouseMissingError(FileNotFoundError):
    """The warehouse file does not exist yet (nothing has been loaded)."""


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection; read-only ones need the file to exist and cannot write or read other files."""
    if read_only:
        if not path.exists():
            raise WarehouseMissingError(
                f"no warehouse at {path}: run `sitrep run` (or `make run`) first"
            )
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path))


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
    """Apply pending migrations, each in its own transaction, then recreate the views."""
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
            con.execute("INSERT INTO _migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(path.name)
    with transaction(con):
        for view in sorted(VIEWS.glob("*.sql")):
            con.execute(view.read_text())
    return applied


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
