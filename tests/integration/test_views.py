"""Each view on the warehouse of small_warehouse.py; the expected rows are worked out there."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from small_warehouse import build

from warehouse.db import connect
from warehouse.figures import MATERIALISED
from warehouse.preferences import PreferencesError, read_preferences


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("views") / "warehouse.duckdb")


def select(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with connect(db, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_latest_idp_stock_prefers_baseline_sums_a_date_and_rolls_admin2_up(db: Path) -> None:
    rows = select(
        db,
        "SELECT admin_level, admin1_pcode, as_of, unit, figure, records, basis "
        "FROM latest_idp_stock WHERE source = 'dtm' ORDER BY admin_level, admin1_pcode",
    )
    assert rows == [
        (0, None, date(2024, 6, 30), "people", 125_000, 2, "reported total, 2 operations added"),
        (1, "CD61", date(2024, 6, 30), "people", 80_000, 1, "reported total"),
        (1, "CD62", date(2024, 3, 31), "people", 30_000, 1, "reported total"),
        (1, "CD63", date(2024, 6, 30), "people", 10_000, 2, "sum of 2 admin2 figures"),
    ]


def test_idp_stock_history_keeps_every_date_with_baseline_only(db: Path) -> None:
    rows = select(
        db,
        "SELECT as_of, figure FROM idp_stock_history "
        "WHERE source = 'dtm' AND admin_level = 0 ORDER BY as_of",
    )
    # 2024-03-31 has no country row: the sum of that round's admin1 totals (CD62) stands in.
    assert rows == [
        (date(2024, 1, 31), 100_000),
        (date(2024, 3, 31), 30_000),
        (date(2024, 6, 30), 125_000),
    ]


def test_latest_idp_country_keeps_units_apart_and_sums_admin1_without_a_country_figure(
    db: Path,
) -> None:
    rows = select(
        db,
        "SELECT source, unit, as_of, figure, places, basis FROM latest_idp_country "
        "WHERE iso3 = 'COD' ORDER BY source, unit",
    )
    assert rows == [
        ("dtm", "people", date(2024, 6, 30), 125_000, 2, "reported total, 2 operations added"),
        ("hapi-cod", "people", date(2024, 5, 31), 35_000, 1, "sum of 1 admin1 totals"),
        ("unhcr", "households", date(2024, 6, 15), 20_000, 1, "reported total"),
        ("unhcr", "people", date(2024, 6, 15), 130_000, 1, "reported total"),
        ("zzz", "people", date(2024, 6, 30), 81_000, 1, "sum of 1 admin1 totals"),
    ]


PREFERRED = (
    "SELECT admin_level, admin1_pcode, unit, source, figure, rule, sources "
    "FROM preferred_idp_figure WHERE iso3 = 'COD' ORDER BY admin_level, admin1_pcode, unit"
)


def test_preferred_figure_recency_then_priority_with_its_rule(db: Path) -> None:
    within = "both within the recency window"
    over_hapi = f"source priority: dtm (1) over hapi-cod (2), {within}"
    over_zzz = f"source priority: dtm (1) over zzz (unlisted), {within}"
    assert select(db, PREFERRED) == [
        (0, None, "households", "unhcr", 20_000, "only source", 1),
        (0, None, "people", "dtm", 125_000, over_hapi, 4),
        (1, "CD61", "people", "dtm", 80_000, over_zzz, 2),
        (1, "CD62", "people", "hapi-cod", 35_000, "most recent of 2 sources", 2),
        (1, "CD63", "people", "dtm", 10_000, "only source", 1),
    ]  # fmt: skip
    others = select(
        db,
        "SELECT other_figures FROM preferred_idp_figure "
        "WHERE iso3 = 'COD' AND admin_level = 0 AND unit = 'people'",
    )
    assert others == [
        (
            "hapi-cod 35,000 (2024-05-31, sum of admin1); unhcr 130,000 (2024-06-15, reported"
            " total); zzz 81,000 (2024-06-30, sum of admin1); dtm 90,000 (2024-06-30, sum of"
            " admin1)",
        )
    ]


def test_preferred_figure_follows_the_preferences_file(tmp_path: Path) -> None:
    prefs = tmp_path / "preferences.toml"
    prefs.write_text("recency_window_days = 31\n[source_priority]\nzzz = 0\ndtm = 1\n")
    db = build(tmp_path / "a.duckdb", prefs)
    rows = select(db, PREFERRED)
    assert rows[1][3:6] == (
        "zzz",
        81_000,
        "source priority: zzz (0) over dtm (1), both within the recency window",
    )
    assert rows[2][3] == "zzz"


def test_preferred_figure_with_no_window_and_no_priority_ties_by_the_tie_breaks(
    tmp_path: Path,
) -> None:
    prefs = tmp_path / "preferences.toml"
    prefs.write_text(
        'recency_window_days = 0\ntie_breaks = ["more_admin_units"]\n[source_priority]\nunhcr = 0\n'
    )
    db = build(tmp_path / "b.duckdb", prefs)
    rows = select(db, PREFERRED)
    # unhcr is first in priority but 15 days older than the newest: not equally recent; dtm's
    # 125,000 covers two admin1 units (CD61, CD63), zzz's 81,000 one: never by the name.
    tie = "tie on recency and priority, decided by more_admin_units"
    assert rows[1][3:6] == ("dtm", 125_000, tie)
    assert rows[3][3:6] == ("hapi-cod", 35_000, "most recent of 2 sources")


def test_preferences_file_errors_name_the_field(tmp_path: Path) -> None:
    prefs = tmp_path / "preferences.toml"
    prefs.write_text('news_ratio_flag = "two"\n')
    with pytest.raises(PreferencesError, match="field news_ratio_flag"):
        read_preferences(prefs)
    prefs.write_text("[source_priority]\ndtm = 1.5\n")
    with pytest.raises(PreferencesError, match=r"field source_priority\.dtm"):
        read_preferences(prefs)
    prefs.write_text('tie_breaks = ["source_name"]\n')
    with pytest.raises(PreferencesError, match="field tie_breaks: source_name; known: newer_date"):
        read_preferences(prefs)
    prefs.write_text("[checks]\nround_change_limit = -1\n")
    with pytest.raises(PreferencesError, match=r"field checks\.round_change_limit"):
        read_preferences(prefs)


def test_monthly_new_displacement_by_cause(db: Path) -> None:
    rows = select(
        db,
        "SELECT source, month, cause, unit, figure, records FROM monthly_new_displacement "
        "ORDER BY month",
    )
    assert rows == [
        ("idmc-idu", date(2024, 3, 1), "conflict", "people", 1_500, 2),
        ("idmc-idu", date(2024, 4, 1), "disaster", "people", 200, 1),
        ("idmc-idu", date(2024, 5, 1), "unknown", "people", 40, 1),
    ]


def test_news_vs_official_compares_like_units_and_flags(db: Path) -> None:
    rows = select(
        db,
        "SELECT iso3, admin_level, admin1_pcode, unit, news_figure, article_id, articles, "
        "official_figure, official_source, round(ratio, 4), flag FROM news_vs_official "
        "ORDER BY iso3, admin_level, admin1_pcode NULLS FIRST, unit",
    )
    assert rows == [
        ("COD", 0, None, "households", None, None, 0, 20_000, "unhcr", None, "no_news"),
        ("COD", 0, None, "people", 7_000_000, "A3", 1, 125_000, "dtm", 56.0, "differs"),
        ("COD", 1, "CD54", "people", 12_000, "A3", 1, None, None, None, "not_in_statistics"),
        ("COD", 1, "CD61", "people", 240_000, "A1", 2, 80_000, "dtm", 3.0, "differs"),
        ("COD", 1, "CD62", "people", 60_000, "A1", 2, 35_000, "hapi-cod", 1.7143, "consistent"),
        ("COD", 1, "CD63", "households", 800, "A3", 1, None, None, None, "other_unit_only"),
        ("COD", 1, "CD63", "people", None, None, 0, 10_000, "dtm", None, "no_news"),
        ("SDN", 0, None, "people", 10_000, "S1", 1, None, None, None, "not_in_statistics"),
    ]  # fmt: skip


def test_news_ratio_flag_factor_comes_from_preferences(tmp_path: Path) -> None:
    prefs = tmp_path / "preferences.toml"
    prefs.write_text("news_ratio_flag = 4\n")
    db = build(tmp_path / "c.duckdb", prefs)
    flag = select(
        db, "SELECT flag FROM news_vs_official WHERE admin1_pcode = 'CD61' AND unit = 'people'"
    )
    assert flag == [("consistent",)]  # 240,000 / 80,000 = 3 is within a factor of 4


def test_source_freshness(db: Path) -> None:
    rows = select(
        db,
        "SELECT source, kind, table_name, last_reported_on, last_status, rows, "
        "days_since_reported, stale FROM source_freshness "
        "WHERE source IN ('dtm', 'unhcr', 'news', 'broken') ORDER BY source, table_name",
    )

    def age(day: date) -> tuple[int, bool]:
        days = (date.today() - day).days
        return days, days > 365

    assert rows == [
        ("broken", "dtm", None, None, "failed", 0, None, False),
        ("dtm", "dtm", "displacement", date(2024, 6, 30), "loaded", 9, *age(date(2024, 6, 30))),
        # U1 has no date: it is undated, not as fresh as its retrieval on 2024-07-10.
        ("news", "article-files", "article_facts", date(2024, 7, 5), "loaded", 10,
         *age(date(2024, 7, 5))),
        ("news", "article-files", "articles", date(2024, 7, 5), "loaded", 5,
         *age(date(2024, 7, 5))),
        ("unhcr", "unhcr", "displacement", date(2024, 7, 1), "loaded", 2, *age(date(2024, 7, 1))),
    ]  # fmt: skip
    undated = select(
        db, "SELECT table_name, undated FROM source_freshness WHERE source = 'news' ORDER BY 1"
    )
    assert undated == [("article_facts", 1), ("articles", 1)]


def test_country_summary_one_row_per_country(db: Path) -> None:
    rows = select(
        db,
        "SELECT iso3, idps, idps_as_of, idps_source, idp_households, admin1_units, "
        "official_sources, articles, facts, news_flags FROM country_summary ORDER BY iso3",
    )
    assert rows == [
        ("COD", 125_000, date(2024, 6, 30), "dtm", 20_000, 3,
         "dtm, hapi-cod, idmc-gidd, idmc-idu, unhcr, zzz", 4, 9, 4),
        ("SDN", None, None, None, None, 0, None, 1, 1, 1),
    ]  # fmt: skip


# The figures (materialised) and the views read as they are.
VIEWS = [*MATERIALISED, "source_freshness", "country_summary"]


def test_views_have_column_comments(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        missing = con.execute(
            "SELECT c.table_name, c.column_name FROM duckdb_columns() c "
            "JOIN duckdb_views() v ON v.view_name = c.table_name AND NOT v.internal "
            "WHERE c.comment IS NULL AND c.table_name IN (SELECT unnest(?))",
            [VIEWS],
        ).fetchall()
    assert missing == []


def test_status_dates_articles_by_publication_never_by_retrieval(db: Path) -> None:
    from warehouse.query import named_sql

    rows = select(db, named_sql("status"))
    news = [r for r in rows if r[0] == "news"]
    # U1, undated and retrieved 2024-07-10, does not make the source look fresher than A3.
    as_of = [r[9] for r in news]  # data_as_of
    assert as_of == [date(2024, 7, 5)]
