"""What the situation report shows, read from the warehouse through the named queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import duckdb

from warehouse.preferences import Preferences
from warehouse.query import named_sql
from warehouse.report_format import href
from warehouse.status import rows_as_dicts

ARTICLES_SHOWN = 10
CHECKS_SHOWN = 15
YEARLY_KINDS = ("unhcr", "idmc-gidd", "hxl")
ASSESSMENTS = {"BA": "baseline assessment", "SA": "site assessment"}


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
    checks: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)


@dataclass
class Overview:
    """The overview page: one row per country and the state of every source."""

    generated_at: datetime
    countries: list[dict[str, Any]]
    freshness: list[dict[str, Any]]
    preferences: Preferences
    citations: dict[str, dict[str, Any]] = field(default_factory=dict)


# Views every page reads, through several other views: over millions of rows each read
# costs seconds, so the report computes them once per connection.
SHARED_VIEWS = ("idp_totals", "idp_figure_checks", "idp_place_totals", "idp_stock_history")


def computed_once(con: duckdb.DuckDBPyConnection) -> None:
    """Each shared view as a temporary table of this connection, which the views built on it
    then read (temporary objects come first in DuckDB's search path); the file is untouched."""
    for view in SHARED_VIEWS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM main.{view}")


def rows(con: duckdb.DuckDBPyConnection, query: str, iso3: str | None) -> list[dict[str, Any]]:
    """A named query's rows for one country (or all) as dicts."""
    return rows_as_dicts(con.execute(named_sql(query), {"iso3": iso3}))


def overview(
    con: duckdb.DuckDBPyConnection,
    prefs: Preferences,
    citations: dict[str, dict[str, Any]] | None = None,
) -> Overview:
    """The countries with data and the freshness of every source."""
    cites = citations or {}
    countries = rows(con, "countries", None)
    for c in countries:
        c["country_name"] = c["country_name"] or country_name(c["iso3"])
        c["citation"] = citation(cites, c["idps_source"], c, "idps_")
    return Overview(datetime.now(UTC), countries, rows(con, "freshness", None), prefs, cites)


def country_page(
    con: duckdb.DuckDBPyConnection, iso3: str, citations: dict[str, dict[str, Any]] | None = None
) -> CountryPage | None:
    """One country's figures, news and data quality; None when the warehouse has nothing on it."""
    cites = citations or {}
    summary = rows(con, "countries", iso3)
    if not summary:
        return None
    head = summary[0]
    head["citation"] = citation(cites, head["idps_source"], head, "idps_")
    head["fresher_citation"] = citation(cites, head["fresher_source"], head, "fresher_")
    admin1 = rows(con, "admin1_idps", iso3)
    for unit in admin1:
        unit["admin1_name"] = unit["admin1_name"] or admin1_name(unit["admin1_pcode"])
        unit["citation"] = citation(cites, unit["source"], unit)
        unit["households_citation"] = citation(
            cites, unit["households_source"], unit, "households_"
        )
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
        checks=rows(con, "figure_checks", iso3)[:CHECKS_SHOWN],
    )


def citation(
    cites: dict[str, dict[str, Any]], source: str | None, row: dict[str, Any], prefix: str = ""
) -> dict[str, Any] | None:
    """What to cite for a figure: provider, dataset, operation, round, date, and a link.

    The provider and link come from the source's config; operation (DTM), event (IDMC), round
    and date from the figure's row; a yearly figure (UNHCR, IDMC GIDD, HXL years) is cited by
    its year. Without a config entry the source's name stands in for the provider.
    """
    if not source:
        return None
    conf = cites.get(source, {})
    as_of = row.get(f"{prefix}as_of")
    parts = [conf.get("provider") or source]
    if conf.get("dataset"):
        parts.append(conf["dataset"])
    operation = row.get(f"{prefix}operation") or row.get("operation" if not prefix else "")
    if operation:
        parts.append(str(operation))
    round_number = row.get(f"{prefix}round") or row.get(f"{prefix}round_number")
    if round_number is not None:
        kind = row.get(f"{prefix}assessment_type")
        parts.append(
            f"round {round_number}" + (f" ({ASSESSMENTS.get(kind, kind)})" if kind else "")
        )
    if isinstance(as_of, date):
        yearly = conf.get("kind") in YEARLY_KINDS or (as_of.month, as_of.day) == (12, 31)
        parts.append(f"year {as_of.year}" if yearly else f"{as_of.day} {as_of:%B %Y}")
    url = row.get(f"{prefix}source_url") or row.get("source_url")
    link = conf.get("link") or href(url)
    return {"text": ", ".join(parts), "link": link, "provider": parts[0]}


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
