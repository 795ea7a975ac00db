"""What the situation report shows, read from the warehouse through the named queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import duckdb

from warehouse.preferences import Preferences
from warehouse.query import named_sql
from warehouse.status import rows_as_dicts

ARTICLES_SHOWN = 10


@dataclass
class CountryPage:
    """Everything on one country's page."""

    iso3: str
    name: str
    summary: dict[str, Any]
    admin1: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    new_displacement: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    quarantined: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    freshness: list[dict[str, Any]]
    charts: dict[str, str] = field(default_factory=dict)


@dataclass
class Overview:
    """The overview page: one row per country and the state of every source."""

    generated_at: datetime
    countries: list[dict[str, Any]]
    freshness: list[dict[str, Any]]
    preferences: Preferences


# Views every page reads, through several other views: over millions of rows each read
# costs seconds, so the report computes them once per connection.
SHARED_VIEWS = ("idp_stock_history",)


def computed_once(con: duckdb.DuckDBPyConnection) -> None:
    """Each shared view as a temporary table of this connection, which the views built on it
    then read (temporary objects come first in DuckDB's search path); the file is untouched."""
    for view in SHARED_VIEWS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM main.{view}")


def rows(con: duckdb.DuckDBPyConnection, query: str, iso3: str | None) -> list[dict[str, Any]]:
    """A named query's rows for one country (or all) as dicts."""
    return rows_as_dicts(con.execute(named_sql(query), {"iso3": iso3}))


def overview(con: duckdb.DuckDBPyConnection, prefs: Preferences) -> Overview:
    """The countries with data and the freshness of every source."""
    countries = rows(con, "countries", None)
    for c in countries:
        c["country_name"] = c["country_name"] or country_name(c["iso3"])
    return Overview(datetime.now(UTC), countries, rows(con, "freshness", None), prefs)


def country_page(con: duckdb.DuckDBPyConnection, iso3: str) -> CountryPage | None:
    """One country's figures, news and data quality; None when the warehouse has nothing on it."""
    summary = rows(con, "countries", iso3)
    if not summary:
        return None
    admin1 = rows(con, "admin1_idps", iso3)
    for unit in admin1:
        unit["admin1_name"] = unit["admin1_name"] or admin1_name(unit["admin1_pcode"])
    flags = rows(con, "news_vs_official", iso3)
    for flag in flags:
        flag["admin1_name"] = flag["admin1_name"] or admin1_name(flag["admin1_pcode"])
    return CountryPage(
        iso3=iso3,
        name=summary[0]["country_name"] or country_name(iso3),
        summary=summary[0],
        admin1=admin1,
        trend=rows(con, "idp_trend", iso3),
        new_displacement=rows(con, "new_displacement", iso3),
        flags=flags,
        articles=group_articles(rows(con, "news_facts", iso3))[:ARTICLES_SHOWN],
        quarantined=rows(con, "quarantined", iso3),
        failed=rows(con, "failed_expectations", iso3),
        freshness=rows(con, "freshness", iso3),
    )


def group_articles(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows (newest article first) grouped into one entry per article with its facts."""
    articles: dict[str, dict[str, Any]] = {}
    for fact in facts:
        article = articles.setdefault(
            fact["article_id"],
            {k: fact[k] for k in ("article_id", "title", "url", "publisher", "seen_at", "undated")}
            | {"facts": []},
        )
        fact["admin1_name"] = admin1_name(fact["admin1_pcode"])
        article["facts"].append(fact)
    return list(articles.values())


@cache
def country_name(iso3: str) -> str:
    """The OCHA preferred name of a country (the code itself when unknown)."""
    from transforms.gazetteer import countries

    found = countries().loc[lambda c: c["iso3"] == iso3, "name"]
    return str(found.iloc[0]) if len(found) else iso3


@cache
def admin1_name(pcode: str | None) -> str | None:
    """The name of an admin unit from the bundled p-code list (None when unknown)."""
    if not pcode:
        return None
    from transforms.gazetteer import admin_units

    found = admin_units().loc[lambda a: a["pcode"] == pcode, "name"]
    return str(found.iloc[0]) if len(found) else None
