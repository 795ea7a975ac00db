"""IDMC GIDD API pages and CSVs into displacement rows, quirk by quirk."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from transforms import idmc_gidd
from transforms.lineage import Origin
from transforms.parsed import Parsed
from transforms.schema import SchemaDriftError, conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CONFLICTS = "idmc_gidd_conflicts_page_0_slice.json"
DISASTERS = "idmc_gidd_disasters_page_1_slice.json"
HDX_DISASTERS = "idmc_gidd_hdx_disasters_AFG_slice.csv"
COUNTRY_YEAR = "idmc_gidd_country_year_hxl_slice.csv"


def origin(name: str) -> Origin:
    return Origin("idmc-gidd", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "run-1")


def parsed(name: str, raw: bytes | None = None) -> Parsed:
    raw = raw if raw is not None else (FIXTURES / name).read_bytes()
    return idmc_gidd.parse(raw, origin(name))


def rows(name: str) -> pd.DataFrame:
    return parsed(name).tables["displacement"].set_index("source_record_id")


def event(out: pd.DataFrame, name: str, metric: str = "new_displacement") -> pd.Series:
    """The one row of an event and metric (ids of disaster events are digests)."""
    (row,) = [
        row for _, row in out.iterrows() if (row["event_name"], row["metric"]) == (name, metric)
    ]
    return row


def results(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text())["results"]


def test_conflict_row_gives_new_displacement_and_stock() -> None:
    out = rows(CONFLICTS)
    stock = out.loc["AFG|2009|conflict|idp_stock"]
    assert (stock["iso3"], stock["figure"], stock["cause"]) == ("AFG", 297000, "conflict")
    assert stock["period_start"].date() == stock["period_end"].date() == date(2009, 12, 31)
    new = out.loc["AFG|2009|conflict|new_displacement"]
    assert new["figure"] == 0
    assert (new["period_start"].date(), new["period_end"].date()) == (
        date(2009, 1, 1),
        date(2009, 12, 31),
    )
    assert json.loads(stock["extra"])["last_updated"] == "2025-05-13"
    conform(out.reset_index(), "displacement")


def test_raw_figure_is_loaded_and_rounded_kept_in_extra() -> None:
    out = rows(HDX_DISASTERS)
    flood = event(out, "Afghanistan: Flood - 01/01/2009")
    assert flood["figure"] == 25185
    assert json.loads(flood["extra"])["figure_rounded"] == 25000


def test_unknown_totals_give_no_row_and_are_counted() -> None:
    page = results(CONFLICTS)
    known = sum(r[c] is not None for r in page for c in ("new_displacement", "total_displacement"))
    raw = (FIXTURES / CONFLICTS).read_bytes()
    assert len(rows(CONFLICTS)) == known < 2 * len(page)
    assert idmc_gidd.unknown_figures(raw, origin(CONFLICTS)) == 2 * len(page) - known


def test_placeholder_dates_give_the_whole_year_and_day_dates_the_event_days() -> None:
    out = rows(HDX_DISASTERS)
    quake = event(out, "Afghanistan: Earthquake - 17/04/2008")
    assert (quake["period_start"].date(), quake["period_end"].date()) == (
        date(2008, 4, 17),
        date(2008, 4, 17),
    )
    # 2009-01-01 with start_date_accuracy Month is a placeholder: the period is the year.
    placeholder = event(out, "Afghanistan: Flood - 01/01/2009")
    assert (placeholder["period_start"].date(), placeholder["period_end"].date()) == (
        date(2009, 1, 1),
        date(2009, 12, 31),
    )
    assert json.loads(placeholder["extra"])["start_date_accuracy"] == "Month"


def test_an_exact_duplicate_row_gets_the_same_id_as_its_first() -> None:
    result = parsed(DISASTERS)
    assert not result.rejects["displacement"]
    ids = result.tables["displacement"]["source_record_id"]
    assert len(ids) == len(results(DISASTERS))
    (repeated,) = ids[ids.duplicated()]  # quarantined naming the first by the key check
    assert repeated.startswith("BEN|2009|Benin: Flood - 01/01/2009|")


def test_distinct_events_with_one_name_keep_distinct_ids() -> None:
    page = results(DISASTERS)
    page[5]["new_displacement"] = 3000  # no longer a duplicate: a second Benin flood
    out = parsed(DISASTERS, json.dumps({"results": page}).encode()).tables["displacement"]
    ids = out["source_record_id"]
    assert ids.is_unique
    floods = ids[out["event_name"] == "Benin: Flood - 01/01/2009"]
    assert len(floods) == 2
    assert not floods.str.contains("#").any()  # no counter: ids come from the rows' own fields


def test_an_events_id_does_not_depend_on_its_page_or_place_in_the_page() -> None:
    page = results(DISASTERS)
    page[5]["new_displacement"] = 3000
    alone = json.dumps({"results": [page[5]]}).encode()
    backwards = json.dumps({"results": page[::-1]}).encode()
    one = set(parsed(DISASTERS, alone).tables["displacement"]["source_record_id"])
    every = set(parsed(DISASTERS, backwards).tables["displacement"]["source_record_id"])
    forwards = set(
        parsed(DISASTERS, json.dumps({"results": page}).encode()).tables["displacement"][
            "source_record_id"
        ]
    )
    assert one < every == forwards


def test_the_providers_own_event_id_is_the_id_where_a_page_has_one() -> None:
    page = results(DISASTERS)
    for n, row in enumerate(page):
        row["event_id"] = 9000 + n
    page[5]["new_displacement"] = 3000
    out = parsed(DISASTERS, json.dumps({"results": page}).encode()).tables["displacement"]
    assert set(out["source_record_id"]) >= {
        "BEN|2009|event_id:9005|new_displacement",
        "BEN|2009|event_id:9004|new_displacement",
    }


def test_hdx_spelling_of_hazard_subtype_name_is_accepted() -> None:
    text = (FIXTURES / HDX_DISASTERS).read_text()
    assert "hazard_subtype_name" in text.splitlines()[0]
    assert len(rows(HDX_DISASTERS)) == 6


def test_country_year_hxl_csv_keeps_non_iso_codes_and_four_metrics() -> None:
    out = rows(COUNTRY_YEAR)
    assert out.loc["AB9|2014|conflict|idp_stock", "figure"] == 20000
    assert out.loc["AB9|2018|disaster|new_displacement", "figure"] == 2
    assert out.loc["AFG|2010|conflict|new_displacement", "figure"] == 102000
    assert set(out["iso3"]) == {"AB9", "AFG"}
    assert "AFG|2008|conflict|idp_stock" not in out.index  # empty cell: unknown, no row


def test_figures_loaded_sum_to_the_non_quarantined_source_figures() -> None:
    for name in (HDX_DISASTERS, COUNTRY_YEAR, "idmc_gidd_hdx_conflict_idps_AFG.csv"):
        reader = csv.DictReader(io.StringIO((FIXTURES / name).read_text()))
        figures = [
            "new_displacement",
            "total_displacement",
            *(c for c in reader.fieldnames or [] if c.endswith(("Displacement", "Displacements"))),
        ]
        want = sum(
            int(r[c])
            for r in reader
            if not r[reader.fieldnames[0]].startswith("#")  # type: ignore[index]
            for c in figures
            if r.get(c)
        )
        assert rows(name)["figure"].sum() == want, name
    page = results(DISASTERS)
    out = parsed(DISASTERS).tables["displacement"].drop_duplicates("source_record_id")
    unique = {json.dumps(r, sort_keys=True): r for r in page}.values()
    assert out["figure"].sum() == sum(r["new_displacement"] or 0 for r in unique)


def test_unknown_layout_is_schema_drift() -> None:
    with pytest.raises(SchemaDriftError, match="IDMC GIDD"):
        idmc_gidd.parse(b"iso3,year,people\nAFG,2020,5\n", origin("x.csv"))
    empty_page = json.dumps({"results": [], "next": None}).encode()
    assert len(parsed("empty.json", empty_page).tables["displacement"]) == 0


def test_header_only_csv_gives_no_rows_and_no_error() -> None:
    header = (FIXTURES / HDX_DISASTERS).read_bytes().splitlines(keepends=True)[0]
    result = parsed("header-only.csv", header)
    assert len(result.tables["displacement"]) == 0
    assert result.rejects["displacement"] == []
