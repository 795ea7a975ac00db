"""Materialised figures: the views behind the report and the named queries, kept as tables.

The views (`warehouse/views/`) stay the definitions. Schema `figures` holds one table per view
in MATERIALISED, with the same columns and rows. Every load refreshes, inside its own
transaction, the rows of the countries it touched (`refresh`); a change of the view files,
the preferences or the reference data since the last refresh rebuilds every table. Readers
call `read_materialised` on their connection: temporary views of the same names then stand in
front of the definitions, so the named queries and the views built on these (country_summary,
source_freshness, which depend on today's date and stay live) read tables, not the whole
history. Any DuckDB client can read `figures.<view>` directly.

Every view here is a function of the rows of one country (its `iso3`); that is what lets a
load refresh only its countries. A view added here must keep that property.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

import duckdb

from warehouse.db import statement, views_hash

SCHEMA = "figures"
STATE = "figures"
# In dependency order: each is computed from the tables of those before it.
MATERIALISED = (
    "country_sources",
    "idp_totals",
    "idp_figure_checks",
    "idp_place_totals",
    "idp_stock_history",
    "latest_idp_stock",
    "latest_idp_country",
    "preferred_idp_figure",
    "monthly_new_displacement",
    "news_vs_official",
)


def definitions_hash() -> str:
    """SHA-256 over the view files and the list of materialised views."""
    return hashlib.sha256(f"{','.join(MATERIALISED)}:{views_hash()}".encode()).hexdigest()


def inputs_key(con: duckdb.DuckDBPyConnection) -> str:
    """What every figure depends on besides the data: view files, preferences, reference data."""
    row = con.execute(statement("figures_inputs")).fetchone()
    return f"{definitions_hash()}:{row[0] if row else ''}"


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the figures were refreshed from the present definitions and preferences."""
    if not _has_state(con):
        return False
    stored = con.execute("SELECT inputs FROM _figures WHERE name = ?", [STATE]).fetchall()
    return stored == [(inputs_key(con),)]


def refresh(con: duckdb.DuckDBPyConnection, countries: Collection[str | None] | None) -> str:
    """Bring the figures up to date inside the caller's transaction.

    `countries` are those a load touched (None for a country-less row); None means all.
    Everything is rebuilt when the figures are not current. Returns "rebuilt",
    "refreshed" or "unchanged".
    """
    if countries is None or not is_current(con):
        _rebuild(con)
        done = "rebuilt"
    elif countries:
        _refresh_countries(con, countries)
        done = "refreshed"
    else:
        return "unchanged"
    con.execute(statement("figures_state"), [STATE, inputs_key(con)])
    return done


def refresh_if_stale(con: duckdb.DuckDBPyConnection) -> bool:
    """Rebuild the figures when they are not current (preferences or definitions changed)."""
    if is_current(con):
        return False
    refresh(con, None)
    return True


def read_materialised(con: duckdb.DuckDBPyConnection) -> bool:
    """Point this connection's reads of the materialised views at their tables.

    Temporary views come first in DuckDB's search path, also for the views that read these
    names; the file is untouched. Does nothing (reads stay on the definitions) when the
    figures are not current. True when the tables are read.
    """
    if not is_current(con):
        return False
    database = _database(con)
    for name in MATERIALISED:
        _shadow(con, name, f"{database}.{SCHEMA}.{name}")
    return True


@contextmanager
def read_figures(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """`read_materialised` for the span of a block, on a connection that goes on writing."""
    read_materialised(con)
    try:
        yield
    finally:
        _drop_shadows(con, MATERIALISED)


def _rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Every table from its view, each read by the views after it."""
    with _shadowing(con, "") as shadow:
        for name in MATERIALISED:
            con.execute(statement("figures_create").format(name=name))
            shadow(name, SCHEMA)


# The tables the materialised views read rows of a country from.
COUNTRY_ROWS = ("displacement", "article_facts")


def _refresh_countries(con: duckdb.DuckDBPyConnection, countries: Collection[str | None]) -> None:
    """Replace these countries' rows of every table.

    Every materialised view is a function of one country's rows, so computing it over the
    rows of these countries gives exactly their rows of the whole. While this runs, the base
    tables and the tables refreshed so far are seen through views holding only those
    countries, so the work follows the countries refreshed, not the size of the warehouse.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE refresh_countries (iso3 VARCHAR)")
    codes = [[c] for c in countries if c is not None]
    if codes:
        con.executemany("INSERT INTO temp.refresh_countries VALUES (?)", codes)
    where = "iso3 IN (SELECT iso3 FROM temp.refresh_countries)"
    where += " OR iso3 IS NULL" if None in countries else ""
    try:
        with _shadowing(con, where) as shadow:
            for table in COUNTRY_ROWS:
                shadow(table, "main")
            for name in MATERIALISED:
                con.execute(statement("figures_delete").format(name=name, where=where))
                con.execute(statement("figures_insert").format(name=name))
                shadow(name, SCHEMA)
    finally:
        con.execute("DROP TABLE IF EXISTS temp.refresh_countries")


@contextmanager
def _shadowing(con: duckdb.DuckDBPyConnection, where: str) -> Iterator[Callable[[str, str], None]]:
    """Temporary views standing in for names while a refresh runs, dropped at its end."""
    database = _database(con)
    made: list[str] = []

    def shadow(name: str, schema: str) -> None:
        _shadow(con, name, f"{database}.{schema}.{name}", where)
        made.append(name)

    _drop_shadows(con, MATERIALISED)
    try:
        yield shadow
    finally:
        _drop_shadows(con, made)


def _shadow(con: duckdb.DuckDBPyConnection, name: str, source: str, where: str = "") -> None:
    condition = f" WHERE {where}" if where else ""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {source}{condition}")


def _drop_shadows(con: duckdb.DuckDBPyConnection, names: Collection[str]) -> None:
    for name in names:
        con.execute(f"DROP VIEW IF EXISTS temp.{name}")


def _database(con: duckdb.DuckDBPyConnection) -> str:
    """The warehouse's catalog name, quoted: `main` alone would also name the temp schema."""
    found = con.execute("SELECT current_database()").fetchone()
    return '"' + str(found[0] if found else "").replace('"', '""') + '"'


def _has_state(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        ["_figures"],
    ).fetchone()
    return bool(found and found[0])
