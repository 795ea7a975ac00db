"""A small warehouse whose view results are worked out by hand in the tests that use it.

Country COD, IDP stock (people unless said):
  dtm (priority 1)   admin0 2024-01-31 BA 100,000 (SA 90,000 same date: dropped);
                     admin0 2024-06-30 BA 120,000 + 5,000 (two operations) -> 125,000;
                     CD61 2024-06-30 80,000 (+ admin2 CD6104 1,000: not added, admin1 given);
                     CD62 2024-03-31 30,000; CD63 only admin2 on 2024-06-30: 4,000 + 6,000
  unhcr (3)          admin0 2024-06-15 130,000 people and 20,000 households
  hapi-cod (kind hapi-idps, 2)  CD62 2024-05-31 35,000
  zzz (unlisted)     CD61 2024-06-30 81,000
New displacement, idmc-idu: March conflict 1,000 + 500 (admin1 300 the same month: dropped),
April disaster 200, May no cause 40; idmc-gidd a whole year 50,000 (dropped).
Articles: A1 2024-07-02 (CD61 240,000 approx., 1,000 evacuated, 500 households destroyed;
CD62 60,000), A2 2024-06-01 (CD61 50,000), A3 2024-07-05 (CD54 12,000; CD63 800 households;
COD as a whole more than 7,000,000), S1 (SDN 10,000, no admin1), U1 undated, retrieved
2024-07-10 (CD62 90,000: after every dated article all the same).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import migrate
from warehouse.preferences import PREFERENCES, apply_preferences, read_preferences

LOADED_AT = datetime(2024, 7, 10, 12, 0, tzinfo=UTC)
_ids = count(1)


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows given as dicts; lineage columns a test does not care about are filled in."""
    for row in rows:
        if table in ("displacement", "articles", "article_facts"):
            row = {"source_record_id": f"r{next(_ids)}", "retrieved_at": LOADED_AT} | row
        names = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))


def stock(source: str, level: int, when: str, figure: int, **more: Any) -> dict[str, Any]:
    """An idp_stock row of COD."""
    return {
        "source": source,
        "iso3": "COD",
        "admin_level": level,
        "metric": "idp_stock",
        "cause": "conflict",
        "unit": "people",
        "figure": figure,
        "period_end": date.fromisoformat(when),
        "assessment_type": "BA",
    } | more


def flow(when: str, figure: int, cause: str | None, **more: Any) -> dict[str, Any]:
    """A new_displacement row of COD from idmc-idu."""
    start = date.fromisoformat(when)
    return {
        "source": "idmc-idu",
        "iso3": "COD",
        "admin_level": 0,
        "metric": "new_displacement",
        "cause": cause,
        "unit": "people",
        "figure": figure,
        "period_start": start,
        "period_end": start,
    } | more


DISPLACEMENT = [
    stock("dtm", 0, "2024-01-31", 100_000),
    stock("dtm", 0, "2024-01-31", 90_000, assessment_type="SA"),
    stock("dtm", 0, "2024-06-30", 120_000),
    stock("dtm", 0, "2024-06-30", 5_000, event_name="second operation"),
    stock("dtm", 1, "2024-06-30", 80_000, admin1_pcode="CD61", admin1_name="Nord-Kivu"),
    stock("dtm", 2, "2024-06-30", 1_000, admin1_pcode="CD61", admin2_pcode="CD6104"),
    stock("dtm", 1, "2024-03-31", 30_000, admin1_pcode="CD62", admin1_name="Sud-Kivu"),
    stock("dtm", 2, "2024-06-30", 4_000, admin1_pcode="CD63", admin2_pcode="CD6301"),
    stock("dtm", 2, "2024-06-30", 6_000, admin1_pcode="CD63", admin2_pcode="CD6302"),
    stock("unhcr", 0, "2024-06-15", 130_000, reported_on=date(2024, 7, 1)),
    stock("unhcr", 0, "2024-06-15", 20_000, unit="households"),
    stock("hapi-cod", 1, "2024-05-31", 35_000, admin1_pcode="CD62"),
    stock("zzz", 1, "2024-06-30", 81_000, admin1_pcode="CD61"),
    flow("2024-03-05", 1_000, "conflict", period_end=date(2024, 3, 10)),
    flow("2024-03-20", 500, "conflict", period_end=date(2024, 4, 2)),
    flow("2024-03-07", 300, "conflict", admin_level=1, admin1_pcode="CD61"),
    flow("2024-04-01", 200, "disaster"),
    flow("2024-05-10", 40, None),
    flow("2024-01-01", 50_000, "conflict", source="idmc-gidd", period_end=date(2024, 12, 31)),
]


def article(article_id: str, published: str | None, title: str, **more: Any) -> dict[str, Any]:
    """An articles row from the `news` source."""
    when = datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None
    return {
        "article_id": article_id,
        "source": "news",
        "title": title,
        "url": f"https://news.example.org/{article_id}",
        "publisher": "news.example.org",
        "published_at": when,
    } | more


def fact(article_id: str, no: int, figure: int, **more: Any) -> dict[str, Any]:
    """An article_facts row about COD, people displaced, unless said otherwise."""
    return {
        "article_id": article_id,
        "fact_no": no,
        "source": "news",
        "iso3": "COD",
        "figure": figure,
        "unit": "people",
        "term": "displaced",
        "qualifier": "exact",
    } | more


ARTICLES = [
    article("A1", "2024-07-02", "Fighting near Goma"),
    article("A2", "2024-06-01", "Earlier displacement in Nord-Kivu"),
    article("A3", "2024-07-05", "Millions displaced across the country"),
    article("S1", "2024-07-03", "Sudan displacement"),
    article("U1", None, "Undated report from Bukavu"),
]
FACTS = [
    fact("A1", 1, 240_000, admin1_pcode="CD61", place_name="Goma", qualifier="approximately"),
    fact("A1", 2, 1_000, admin1_pcode="CD61", place_name="Goma", term="evacuated"),
    fact("A1", 3, 500, admin1_pcode="CD61", unit="households", term="destroyed_housing"),
    fact("A1", 4, 60_000, admin1_pcode="CD62", place_name="Bukavu"),
    fact("A2", 1, 50_000, admin1_pcode="CD61", place_name="Goma"),
    fact("A3", 1, 12_000, admin1_pcode="CD54", place_name="Kananga"),
    fact("A3", 2, 800, admin1_pcode="CD63", unit="households", place_name="Kindu"),
    fact("A3", 3, 7_000_000, qualifier="more_than", place_name="eastern Congo"),
    fact("S1", 1, 10_000, iso3="SDN", place_name="Sudan"),
    fact("U1", 1, 90_000, admin1_pcode="CD62", place_name="Bukavu"),
]
RUNS = [
    {"source": s, "kind": k, "status": "loaded"}
    for s, k in [
        ("dtm", "dtm"),
        ("unhcr", "unhcr"),
        ("hapi-cod", "hapi-idps"),
        ("zzz", "manual"),
        ("idmc-idu", "idmc-idu"),
        ("idmc-gidd", "idmc-gidd"),
        ("news", "article-files"),
    ]
] + [{"source": "broken", "kind": "dtm", "status": "failed"}]


def build(path: Path, preferences: Path = PREFERENCES) -> Path:
    """The warehouse file, migrated, with the rows above and the given preferences."""
    with duckdb.connect(str(path)) as con:
        migrate(con)
        apply_preferences(con, read_preferences(preferences))
        insert(con, "displacement", DISPLACEMENT)
        insert(con, "articles", ARTICLES)
        insert(con, "article_facts", FACTS)
        for n, run in enumerate(RUNS):
            run_id = f"{run['source']}-run{n}"
            insert(con, "load_runs", [{"load_run_id": run_id, "finished_at": LOADED_AT} | run])
    return path
