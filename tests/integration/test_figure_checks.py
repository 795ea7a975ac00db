"""Each plausibility check on the IDP totals, with a failing case shaped like the real rows
(DTM HDX admin 0 rows per origin and reason, HAPI rows, IDMC country-years): the check
fails, is recorded in validation_results after a load, the failing figure is passed over for
one that passes, and the report shows the check and the passed-over figure."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from small_warehouse import insert

from flows.settings import Settings
from warehouse.db import migrate
from warehouse.figure_checks import record_checks
from warehouse.preferences import apply_preferences, read_preferences
from warehouse.query import named_sql
from warehouse.report import write_report

RETRIEVED = datetime(2025, 7, 15, 9, 0, tzinfo=UTC)


def row(source: str, iso3: str, level: int, when: str, figure: int, **more: Any) -> dict[str, Any]:
    """An idp_stock row as the transforms write it (DTM shape unless said)."""
    return {
        "source": source,
        "iso3": iso3,
        "admin_level": level,
        "metric": "idp_stock",
        "cause": "conflict",
        "unit": "people",
        "qualifier": "exact",
        "figure": figure,
        "period_start": date.fromisoformat(when),
        "period_end": date.fromisoformat(when),
        "assessment_type": "BA",
        "event_name": "Countrywide monitoring",
        "retrieved_at": RETRIEVED,
        "source_url": f"/data/{source}.csv",
    } | more


def origin(pcode: str, reason: str = "Insecurity") -> str:
    return json.dumps({"displacementReason": reason, "idpOriginAdmin1Pcode": pcode})


HTI = [  # DTM Haiti round 10: one admin 0 row per origin (only HT05 here) and admin 1 rows
    row("dtm-files", "HTI", 0, "2025-06-30", 785, round_number=10, extra=origin("HT05")),
    *(
        row("dtm-files", "HTI", 1, "2025-06-30", n, round_number=10, admin1_pcode=p,
            extra=origin(p, "Conflict"))
        for p, n in [("HT01", 388_996), ("HT03", 76_151), ("HT09", 1_304), ("HT05", 785)]
    ),
]  # fmt: skip
TCD = [  # a round that kept one origin row: -99 % from the round before; HAPI's total passes
    row("dtm", "TCD", 0, "2024-06-30", 220_610, round_number=23, extra=origin("TD07")),
    row("dtm", "TCD", 0, "2025-01-31", 2_206, round_number=24, extra=origin("TD07")),
    row("hapi-idps", "TCD", 0, "2025-01-31", 225_689, round_number=24,
        event_name="Lake Chad Basin Crisis"),
]  # fmt: skip
SOM = [  # a HAPI row dated a year after it was retrieved (a typo in the year)
    row("hapi-idps", "SOM", 0, "2026-06-30", 3_500_000, round_number=5),
    row("unhcr", "SOM", 0, "2024-12-31", 3_497_000, assessment_type=None, event_name=None),
]
COD = [  # IDMC country-years, then a figure ten times the largest earlier one
    row("hxl", "COD", 0, f"{y}-12-31", n, assessment_type=None, event_name=None)
    for y, n in [(2016, 2_230_000), (2017, 4_480_000), (2018, 3_081_000)]
] + [row("unhcr", "COD", 0, "2019-12-31", 45_000_000, assessment_type=None, event_name=None)]
KINDS = {"dtm-files": "dtm", "dtm": "dtm", "hapi-idps": "hapi-idps", "unhcr": "unhcr", "hxl": "hxl"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with the four cases, each source's checks recorded as after its load."""
    home = tmp_path_factory.mktemp("checks")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        migrate(con)
        apply_preferences(con, read_preferences())
        insert(con, "displacement", [*HTI, *TCD, *SOM, *COD])
        for source, kind in KINDS.items():
            run = {"load_run_id": f"{source}-1", "source": source, "kind": kind}
            insert(con, "load_runs", [run | {"status": "loaded", "finished_at": RETRIEVED}])
            record_checks(con, f"{source}-1", source)
    return home


def select(home: Path, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


def headline(home: Path, iso3: str) -> tuple[Any, ...]:
    return select(
        home,
        "SELECT figure, source, how, passed_over FROM preferred_idp_figure "
        "WHERE iso3 = $iso3 AND admin_level = 0 AND unit = 'people'",
        {"iso3": iso3},
    )[0]


def failing(home: Path, iso3: str) -> list[tuple[Any, ...]]:
    return select(
        home,
        'SELECT "check", source, figure FROM idp_figure_checks WHERE iso3 = $iso3 ORDER BY 1',
        {"iso3": iso3},
    )


def test_country_below_half_its_admin1_sum_gives_way_to_the_sum(home: Path) -> None:
    assert failing(home, "HTI") == [("below_admin1_sum", "dtm-files", 785)]
    figure, source, how, passed_over = headline(home, "HTI")
    assert (figure, source, how) == (467_236, "dtm-files", "sum_of_admin1")
    assert "785" in passed_over and "below 50% of 467,236" in passed_over


def test_a_drop_of_more_than_90_percent_between_rounds_is_passed_over(home: Path) -> None:
    assert failing(home, "TCD") == [("round_change", "dtm", 2_206)]
    figure, source, _, passed_over = headline(home, "TCD")
    assert (figure, source) == (225_689, "hapi-idps")
    assert "2,206 is -99% from 220,610" in passed_over


def test_a_date_after_the_retrieval_day_is_passed_over(home: Path) -> None:
    assert failing(home, "SOM") == [("reported_after_retrieved", "hapi-idps", 3_500_000)]
    figure, source, _, passed_over = headline(home, "SOM")
    assert (figure, source) == (3_497_000, "unhcr")  # older, but plausible
    assert "dated 2026-06-30, after it was retrieved on 2025-07-15" in passed_over


def test_ten_times_any_earlier_figure_of_the_country_is_passed_over(home: Path) -> None:
    assert ("jump_over_earlier", "unhcr", 45_000_000) in failing(home, "COD")
    figure, source, _, passed_over = headline(home, "COD")
    assert (figure, source) == (3_081_000, "hxl")
    assert "10 times the largest earlier figure for the country (4,480,000)" in passed_over


def test_checks_are_recorded_per_source_after_its_load(home: Path) -> None:
    rows = select(
        home,
        'SELECT load_run_id, "column", success, unexpected_count FROM validation_results '
        "WHERE \"table\" = 'idp_totals' AND NOT success ORDER BY 1, 2",
    )
    assert rows == [
        ("dtm-1", "round_change", False, 1),
        ("dtm-files-1", "below_admin1_sum", False, 1),
        ("hapi-idps-1", "reported_after_retrieved", False, 1),
        # IDMC's real COD rise of 2017 (2.23 to 4.48 million, +101 %) is a rise of over 90 %
        ("hxl-1", "round_change", False, 1),
        ("unhcr-1", "jump_over_earlier", False, 1),
    ]
    checked = select(home, "SELECT count(*) FROM validation_results WHERE success")
    assert checked == [(len(KINDS) * 4 - 5,)]  # one result per check and source
    failed = select(home, named_sql("failed_expectations"), {"iso3": "HTI"})
    assert [(r[0], r[1], r[3]) for r in failed] == [("dtm-files", "idp_totals", "below_admin1_sum")]


def test_the_report_shows_the_check_and_the_passed_over_figure(home: Path) -> None:
    page = write_report(Settings(home=home, config=home / "none.toml"), "HTI")
    html = page.read_text()
    assert "below_admin1_sum" in html
    assert "Passed over: dtm-files 785 (2025-06-30, sum of breakdown)" in html
    assert "467,236" in html and "sum_of_admin1" in html


def test_a_stale_headline_has_the_newest_fresh_figure_beside_it(home: Path) -> None:
    if (date.today() - date(2026, 6, 30)).days > 365:
        pytest.skip("the fresher figure of this case is stale by now")
    row = select(
        home,
        "SELECT idps, idps_stale, fresher_idps, fresher_source, fresher_checks_failed "
        "FROM country_summary WHERE iso3 = 'SOM'",
    )
    stale = (date.today() - date(2024, 12, 31)).days > 365
    assert row == [(3_497_000, stale, 3_500_000 if stale else None,
                    "hapi-idps" if stale else None,
                    "reported_after_retrieved" if stale else None)]  # fmt: skip
    html = write_report(Settings(home=home, config=home / "none.toml"), "SOM").read_text()
    assert ("Newest figure not stale" in html) == stale
