"""What the situation report shows, read from the warehouse through the named queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import duckdb

from warehouse.figures import read_materialised
from warehouse.preferences import Preferences
from warehouse.query import named_sql
from warehouse.report_format import href
from warehouse.status import rows_as_dicts

ARTICLES_SHOWN = 10
CHECKS_SHOWN = 15
YEARLY_KINDS = ("unhcr", "idmc-gidd", "hxl")
ASSESSMENTS = {"BA": "baseline assessment", "SA": "site assessment"}
Cites = dict[str, dict[str, Any]]


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
    """The materialised figures when they are current (`warehouse.figures`); otherwise each
    shared view as a temporary table of this connection, which the views built on it then read
    (temporary objects come first in DuckDB's search path). The file is untouched."""
    if read_materialised(con):
        return
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
    summary = rows(con, "countries", iso3)
    if not summary:
        return None
    return build_page(iso3, summary[0], lambda query: rows(con, query, iso3), citations or {})


def build_page(
    iso3: str, head: dict[str, Any], fetch: Callable[[str], list[dict[str, Any]]], cites: Cites
) -> CountryPage:
    """A country's page from its summary row and `fetch(named query)`, its rows of each query."""
    head["citation"] = citation(cites, head["idps_source"], head, "idps_")
    head["fresher_citation"] = citation(cites, head["fresher_source"], head, "fresher_")
    admin1 = fetch("admin1_idps")
    for unit in admin1:
        unit["admin1_name"] = unit["admin1_name"] or admin1_name(unit["admin1_pcode"])
        unit["citation"] = citation(cites, unit["source"], unit)
        unit["households_citation"] = citation(
            cites, unit["households_source"], unit, "households_"
        )
    flags = fetch("news_vs_official")
    for flag in flags:
        flag["admin1_name"] = flag["admin1_name"] or admin1_name(flag["admin1_pcode"])
    return CountryPage(
        iso3=iso3,
        name=head["country_name"] or country_name(iso3),
        summary=head,
        admin1=admin1,
        trend=fetch("idp_trend"),
        new_displacement=fetch("new_displacement"),
        flags=flags,
        articles=group_articles(fetch("news_facts"))[:ARTICLES_SHOWN],
        quarantined=fetch("quarantined"),
        failed=fetch("failed_expectations"),
        freshness=fetch("freshness"),
        checks=fetch("figure_checks")[:CHECKS_SHOWN],
    )


# Named queries of a page with an iso3 column, and those filtered by the country's sources.
BY_COUNTRY = (
    "admin1_idps",
    "idp_trend",
    "new_displacement",
    "news_vs_official",
    "news_facts",
    "figure_checks",
)
BY_SOURCE = ("quarantined", "failed_expectations", "freshness")


class PageReader:
    """Country pages one at a time, from each named query run once for all the countries asked.

    Each query's rows (in the query's order) go to a temporary table of the connection, which
    DuckDB may spill to disk; a page then reads only its own country's rows, so Python holds one
    country at a time whatever the number of countries.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, codes: list[str], summary: Overview) -> None:
        self.con = con
        self.heads = {c["iso3"]: c for c in summary.countries}
        self.cites = summary.citations
        con.execute("CREATE OR REPLACE TEMP TABLE page_codes (iso3 VARCHAR)")
        con.executemany("INSERT INTO page_codes VALUES (?)", [[c] for c in codes])
        for query in BY_COUNTRY:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE page_{query} AS SELECT row_number() OVER () "
                f"AS page_row, * FROM ({named_sql(query).rstrip().rstrip(';')}) "
                "WHERE iso3 IN (SELECT iso3 FROM page_codes)",
                {"iso3": None},
            )
        self.by_source = {q: rows(con, q, None) for q in BY_SOURCE}
        sources = con.execute(
            "SELECT iso3, list(DISTINCT source) FROM country_sources "
            "WHERE iso3 IN (SELECT iso3 FROM page_codes) GROUP BY iso3"
        ).fetchall()
        self.sources: dict[str, set[str]] = {iso3: set(names) for iso3, names in sources}

    def page(self, iso3: str) -> CountryPage:
        """The page of one of the countries asked."""
        return build_page(iso3, dict(self.heads[iso3]), lambda q: self._rows(q, iso3), self.cites)

    def _rows(self, query: str, iso3: str) -> list[dict[str, Any]]:
        if query in BY_SOURCE:
            mine = self.sources.get(iso3, set())
            return [dict(r) for r in self.by_source[query] if r["source"] in mine]
        cursor = self.con.execute(
            f"SELECT * EXCLUDE (page_row) FROM page_{query} WHERE iso3 = ? ORDER BY page_row",
            [iso3],
        )
        return rows_as_dicts(cursor)


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
