"""IOM DTM API v3 responses into displacement rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms import dtm
from transforms.lineage import Origin
from transforms.parsed import InputError
from transforms.schema import SchemaDriftError, conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def origin(name: str) -> Origin:
    return Origin("dtm", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "run-1")


def body(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def parse(payload: dict, name: str = "x.json"):
    return dtm.parse(json.dumps(payload).encode(), origin(name))


def test_admin2_slice_maps_every_field() -> None:
    payload = body("displacement-admin2-hti-slice.json")
    out = parse(payload).tables["displacement"]
    first = payload["result"][0]
    row = out.iloc[0]
    assert len(out) == len(payload["result"])
    assert (row["iso3"], row["admin_level"]) == ("HTI", 2)
    assert (row["admin1_pcode"], row["admin2_pcode"]) == (
        first["admin1Pcode"],
        first["admin2Pcode"],
    )
    assert row["place_name"] == first["admin2Name"]
    assert row["figure"] == first["numPresentIdpInd"]
    assert (row["metric"], row["unit"], row["qualifier"]) == ("idp_stock", "people", "exact")
    assert str(row["period_end"]) == first["reportingDate"][:10]
    assert row["round_number"] == first["roundNumber"]
    assert row["assessment_type"] == first["assessmentType"]
    assert json.loads(row["extra"])["operation"] == first["operation"]
    assert out["figure"].sum() == sum(r["numPresentIdpInd"] for r in payload["result"])
    conform(out, "displacement")  # fits the declared schema


def test_admin0_rows_have_no_admin_codes_and_map_causes() -> None:
    out = parse(body("displacement-admin0-tcd-slice.json")).tables["displacement"]
    assert set(out["admin_level"]) == {0}
    assert out["admin1_pcode"].isna().all()
    assert set(out["cause"]) <= {"conflict", "disaster", "other", "unknown"}
    assert (out["place_name"] == "Chad").all()


def test_causes_follow_the_displacement_reason() -> None:
    payload = body("displacement-admin0-tcd-slice.json")
    reasons = [
        "Conflict",
        "Insecurity",
        "Natural disaster",
        "Other reason",
        "No reason for displacement reported",
        "Something new",
    ]
    for rec, reason in zip(payload["result"], reasons, strict=True):
        rec["displacementReason"] = reason
    out = parse(payload).tables["displacement"]
    assert list(out["cause"]) == ["conflict", "conflict", "disaster", "other", "unknown", "unknown"]


def test_ba_and_sa_rows_for_the_same_place_and_date_keep_distinct_ids() -> None:
    payload = body("displacement-admin0-tcd-slice.json")
    first = dict(payload["result"][0], assessmentType="BA")
    payload["result"] = [first, dict(first, assessmentType="SA")]
    out = parse(payload).tables["displacement"]
    assert out["source_record_id"].is_unique


def test_bad_rows_are_rejected_naming_file_row_and_field() -> None:
    payload = body("displacement-admin0-tcd-slice.json")
    payload["result"][1]["numPresentIdpInd"] = -40
    payload["result"][2]["numPresentIdpInd"] = "many"
    payload["result"][3]["reportingDate"] = "not a date"
    parsed = parse(payload, "bad.json")
    rejects = parsed.rejects["displacement"]
    assert [r.row_no for r in rejects] == [2, 3, 4]
    assert rejects[0].reason == "bad.json row 2 field numPresentIdpInd: negative figure (-40)"
    assert "row 3 field numPresentIdpInd: not a number (many)" in rejects[1].reason
    assert "row 4 field reportingDate: not a date" in rejects[2].reason
    assert rejects[0].record["numPresentIdpInd"] == -40
    assert len(parsed.tables["displacement"]) == len(payload["result"]) - 3
    assert parsed.rows_in("displacement") == len(payload["result"])


def test_a_json_that_is_not_dtm_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"x.json: not a DTM API v3 response"):
        dtm.parse(b'{"data": []}', origin("x.json"))
    with pytest.raises(InputError, match="not valid JSON"):
        dtm.parse(b"{oops", origin("x.json"))
    with pytest.raises(InputError, match="reported failure"):
        dtm.parse(
            b'{"result": [], "isSuccess": false, "errorMessages": ["bad key"]}', origin("x.json")
        )


def test_missing_columns_raise_schema_drift_naming_them() -> None:
    payload = body("displacement-admin0-tcd-slice.json")
    for rec in payload["result"]:
        del rec["numPresentIdpInd"]
    with pytest.raises(SchemaDriftError, match="'numPresentIdpInd'"):
        parse(payload)


def test_an_empty_result_gives_no_rows() -> None:
    parsed = dtm.parse(b'{"result": [], "isSuccess": true}', origin("empty.json"))
    assert parsed.rows_in("displacement") == 0
