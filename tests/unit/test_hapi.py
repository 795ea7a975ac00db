"""HDX HAPI affected-people/idps as CSV (with BOM) and as the API's JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from transforms import hapi
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.places import resolve_admin, unresolved_admin
from transforms.schema import SchemaDriftError, conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CSV = FIXTURES / "hapi_idps_slice.csv"
JSON = FIXTURES / "hapi_idps_slice.json"


def parse(raw: bytes, name: str = "idps.csv") -> Parsed:
    return hapi.parse(raw, Origin("hapi", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "r1"))


def rows(raw: bytes, name: str = "idps.csv") -> pd.DataFrame:
    return parse(raw, name).tables["displacement"]


def records() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(CSV.read_text(encoding="utf-8-sig"))))


def rewrite(change: dict[int, dict[str, str]]) -> bytes:
    """The fixture CSV (BOM kept) with some cells of some data rows changed."""
    table = records()
    for row, cells in change.items():
        table[row].update(cells)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def test_the_csv_starts_with_a_bom_and_its_first_column_is_still_read() -> None:
    assert CSV.read_bytes().startswith(b"\xef\xbb\xbf")
    out = rows(CSV.read_bytes())
    assert list(out["iso3"]) == [r["location_code"] for r in records()]
    conform(out, "displacement")


def test_figures_and_reference_periods() -> None:
    out = rows(CSV.read_bytes())
    source = records()
    assert out["figure"].sum() == sum(int(r["population"]) for r in source)
    assert [str(d) for d in out["period_start"]] == [r["reference_period_start"] for r in source]
    assert [str(d) for d in out["period_end"]] == [r["reference_period_end"] for r in source]
    assert set(out["metric"]) == {"idp_stock"} and set(out["unit"]) == {"people"}


def test_json_and_csv_give_the_same_rows() -> None:
    from_json = rows(JSON.read_bytes(), "idps.json")
    from_csv = rows(CSV.read_bytes())
    assert list(from_json["source_record_id"]) == list(from_csv["source_record_id"])
    assert list(from_json["figure"]) == list(from_csv["figure"])
    assert list(from_json["admin2_pcode"].fillna("")) == list(from_csv["admin2_pcode"].fillna(""))


def test_gazetteer_names_are_used_and_provider_names_kept_in_extra() -> None:
    out = rows(CSV.read_bytes())
    west = out[out["admin1_pcode"] == "HT01"].iloc[0]
    assert west["admin1_name"] == "West"
    assert json.loads(west["extra"])["provider_admin1_name"] == "Ouest"


def test_warnings_are_kept_in_extra() -> None:
    out = rows(CSV.read_bytes())
    warnings = [json.loads(e).get("warning") for e in out["extra"]]
    assert "PCode length TD07->TCD07" in warnings
    assert "PCode mismatch HT09 != Nord Ouest" in warnings


def test_rows_with_an_error_are_quarantined_with_it_as_reason() -> None:
    parsed = parse(rewrite({3: {"error": "Non-matching p-code: HT99"}}), "idps.csv")
    [reject] = parsed.rejects["displacement"]
    assert reject.row_no == 5  # header is row 1, data starts on row 2
    assert reject.reason == "idps.csv row 5 field error: HAPI error (Non-matching p-code: HT99)"
    assert len(parsed.tables["displacement"]) == len(records()) - 1
    kept = parsed.tables["displacement"]["figure"].sum()
    assert kept == sum(int(r["population"]) for i, r in enumerate(records()) if i != 3)


def test_numbers_as_strings_and_bad_numbers() -> None:
    body = json.loads(JSON.read_text())
    body["data"][0]["population"] = "24,212"
    body["data"][1]["population"] = "about 5"
    body["data"][2]["population"] = -3
    parsed = parse(json.dumps(body).encode(), "p.json")
    assert parsed.tables["displacement"]["figure"].iloc[0] == 24212
    reasons = [r.reason for r in parsed.rejects["displacement"]]
    assert reasons == [
        "p.json row 2 field population: not a number (about 5)",
        "p.json row 3 field population: negative figure (-3)",
    ]


def test_hapi_codes_resolve_in_the_gazetteer() -> None:
    out = resolve_admin(rows(CSV.read_bytes()))
    assert not unresolved_admin(out).any()
    chad = out[(out["iso3"] == "TCD") & (out["admin_level"] == 2)]
    assert chad["admin2_pcode"].str.startswith("TCD07").all()  # HAPI already repaired TD07


def test_not_hapi_inputs() -> None:
    with pytest.raises(InputError, match="not a HAPI response"):
        parse(b'{"result": []}', "x.json")
    with pytest.raises(SchemaDriftError, match="'population'"):
        parse(b"location_code,admin_level\nHTI,0\n", "x.csv")
    assert parse(b'{"data": []}', "x.json").rows_in("displacement") == 0


def test_a_missing_population_or_placeholder_date_is_rejected_not_a_crash() -> None:
    body = json.loads(JSON.read_text())
    body["data"][0]["population"] = None
    body["data"][1]["reference_period_end"] = "0000-01-01"
    parsed = parse(json.dumps(body).encode(), "p.json")
    assert [r.reason for r in parsed.rejects["displacement"]] == [
        "p.json row 1 field population: missing figure (null)",
        "p.json row 2 field reference_period_end: not a date (0000-01-01)",
    ]


def test_country_rows_are_named_by_the_gazetteer_not_by_their_code() -> None:
    out = resolve_admin(rows(CSV.read_bytes()))
    countries = out[out["admin_level"] == 0]
    assert len(countries) == 3
    names = dict(zip(countries["iso3"], countries["place_name"], strict=True))
    assert names == {iso3: {"HTI": "Haiti", "TCD": "Chad"}[iso3] for iso3 in names}
    assert not countries["extra"].str.contains("provider_place_name").any()
