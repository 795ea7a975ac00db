"""IDMC IDU API JSON and HDX CSVs into displacement rows, quirk by quirk."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from transforms import idmc_idu
from transforms.lineage import Origin
from transforms.parsed import InputError
from transforms.schema import SchemaDriftError, conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
API = "idmc_idu_api_IND_slice.json"


def origin(name: str) -> Origin:
    return Origin("idmc-idu", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "run-1")


def parse(name: str, raw: bytes | None = None) -> pd.DataFrame:
    raw = raw if raw is not None else (FIXTURES / name).read_bytes()
    return idmc_idu.parse(raw, origin(name)).tables["displacement"]


def records() -> list[dict]:
    return json.loads((FIXTURES / API).read_text())


def test_api_record_maps_every_field() -> None:
    out = parse(API).set_index("source_record_id")
    row = out.loc["126716"]
    assert (row["iso3"], row["metric"], row["cause"], row["unit"]) == (
        "IND",
        "new_displacement",
        "disaster",
        "people",
    )
    assert (row["figure"], row["qualifier"]) == (2, "exact")
    assert row["event_name"] == "India: Flood - Kerala - 07/11/2023"
    assert row["reported_on"].date() == date(2023, 11, 8)  # created_at 2023-11-08T19:37Z
    extra = json.loads(row["extra"])
    assert (extra["latitude"], extra["type"]) == (10.44581, "Flood")
    conform(out.reset_index(), "displacement")  # the canonical schema accepts every row


def test_timestamp_is_read_as_the_local_date_not_the_utc_date() -> None:
    # 2023-11-06T11:00:00.000Z is local midnight of 7 November in UTC+13: the UTC date is wrong.
    row = parse(API).set_index("source_record_id").loc["126716"]
    assert row["period_start"].date() == date(2023, 11, 7)
    assert row["period_end"].date() == date(2023, 11, 7)


def test_event_start_local_dates_match_the_dates_in_event_names() -> None:
    rows = records()
    named = [re.search(r"(\d\d)/(\d\d)/(\d{4})$", r["event_name"]) for r in rows]
    want = pd.Series([date(int(m[3]), int(m[2]), int(m[1])) for m in named if m])
    stamps = pd.Series([r["event_start_date"] for r in rows])
    local = idmc_idu.local_date(stamps).dt.date
    utc = pd.to_datetime(stamps, utc=True).dt.date
    assert len(want) == len(rows)
    # Both UTC+12 (12:00Z) and UTC+13 (11:00Z) stamps; one event (119537, "Haryana (Nuh) -
    # 05/08/2023") was named after a later day than its start, so 7 of 8 agree.
    assert (local == want).sum() == 7
    assert (utc == want).sum() == 0


def test_true_utc_midnight_keeps_its_date() -> None:
    got = idmc_idu.local_date(pd.Series(["2024-02-01T00:00:00Z", "2024-02-01T05:00:00Z"]))
    assert got.dt.date.tolist() == [date(2024, 2, 1), date(2024, 2, 1)]


def test_qualifiers_are_mapped() -> None:
    out = parse(API).set_index("source_record_id")
    assert out.loc["119537", "qualifier"] == "more_than"  # "more than"
    assert out.loc["114193", "qualifier"] == "approximately"
    assert set(out["qualifier"]) == {"exact", "more_than", "approximately"}


def test_hdx_csv_with_and_without_hxl_row_give_the_same_rows() -> None:
    with_hxl = parse("idmc_idu_hdx_hxl_IND_slice.csv")
    without = parse("idmc_idu_hdx_noHXL_IND_slice.csv")
    cols = ["source_record_id", "figure", "qualifier", "period_start", "period_end", "cause"]
    assert len(with_hxl) == 5
    pd.testing.assert_frame_equal(with_hxl[cols], without[cols])
    assert with_hxl["record_hash"].tolist() == without["record_hash"].tolist()
    api = parse(API).set_index("source_record_id")
    for _, row in with_hxl.iterrows():  # the CSV says what the API says
        if row["source_record_id"] in api.index:
            assert row["figure"] == api.loc[row["source_record_id"], "figure"]
            assert row["period_end"] == api.loc[row["source_record_id"], "period_end"]


def test_empty_country_file_gives_no_rows_and_no_error() -> None:
    parsed = idmc_idu.parse(
        (FIXTURES / "idmc_idu_hdx_hxl_AFG_empty.csv").read_bytes(), origin("afg.csv")
    )
    assert len(parsed.tables["displacement"]) == 0
    assert not parsed.rejects.get("displacement")


def test_figures_loaded_sum_to_the_source_figures() -> None:
    assert parse(API)["figure"].sum() == sum(r["figure"] for r in records())


def test_bad_figure_is_rejected_naming_file_row_and_field() -> None:
    rows = records()
    rows[2]["figure"] = "about 20"
    parsed = idmc_idu.parse(json.dumps(rows).encode(), origin("idu.json"))
    (reject,) = parsed.rejects["displacement"]
    assert reject.reason.startswith("idu.json row 3 field figure: not a whole number")
    assert reject.source_record_id == str(rows[2]["id"])
    assert len(parsed.tables["displacement"]) == len(rows) - 1


def test_unknown_qualifier_is_rejected() -> None:
    rows = records()
    rows[0]["qualifier"] = "roughly"
    (reject,) = idmc_idu.parse(json.dumps(rows).encode(), origin("idu.json")).rejects[
        "displacement"
    ]
    assert "field qualifier: unknown qualifier (roughly)" in reject.reason


def test_not_a_list_and_missing_columns_are_clear_errors() -> None:
    with pytest.raises(InputError, match="not an IDMC IDU API response"):
        idmc_idu.parse(b'{"results": []}', origin("x.json"))
    rows = [{k: v for k, v in r.items() if k != "figure"} for r in records()]
    with pytest.raises(SchemaDriftError, match="'figure'"):
        idmc_idu.parse(json.dumps(rows).encode(), origin("x.json"))
