"""IOM DTM API v3 responses (IdpAdmin0/1/2Data) into `displacement` rows."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, first_problem, problem, split_rejects
from transforms.schema import require_columns

REQUIRED = ["operation", "admin0Pcode", "numPresentIdpInd", "reportingDate", "assessmentType"]
CAUSES = {
    "conflict": "conflict",
    "insecurity": "conflict",
    "natural disaster": "disaster",
    "disaster": "disaster",
    "other reason": "other",
    "no reason for displacement reported": "unknown",
}
EXTRA = [
    "operation",
    "displacementReason",
    "numberMales",
    "numberFemales",
    "idpOriginAdmin1Name",
    "idpOriginAdmin1Pcode",
]


def parse(raw: bytes, origin: Origin) -> Parsed:
    """A DTM API v3 JSON body into canonical `displacement` rows (IDP stock, people)."""
    records = api_records(raw, origin.name)
    if not records:
        return Parsed(tables={"displacement": pd.DataFrame()})
    frame = pd.DataFrame.from_records(records)
    require_columns(f"{origin.name} (DTM API)", frame.columns, REQUIRED)
    return from_frame(frame, origin)


def api_records(raw: bytes, name: str) -> list[dict[str, Any]]:
    """The `result` list of a DTM API v3 envelope; InputError when the body is not one."""
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name}: not valid JSON ({exc})") from exc
    if not isinstance(body, dict) or not isinstance(body.get("result"), list):
        raise InputError(f"{name}: not a DTM API v3 response (no 'result' list)")
    if body.get("isSuccess") is False:
        raise InputError(f"{name}: DTM API reported failure: {body.get('errorMessages')}")
    return body["result"]


def from_frame(raw: pd.DataFrame, origin: Origin) -> Parsed:
    """Normalise DTM admin rows (API field names) already in a frame."""
    level = admin_level(raw.columns)
    figure = pd.to_numeric(raw["numPresentIdpInd"], errors="coerce")
    reported = pd.to_datetime(raw["reportingDate"], errors="coerce", format="ISO8601").dt.date
    record_id = natural_key(raw, level)
    problems = first_problem(
        problem(
            raw["admin0Pcode"].isna(),
            origin.name,
            raw["admin0Pcode"],
            "admin0Pcode",
            "missing country code",
        ),
        problem(
            figure.isna(), origin.name, raw["numPresentIdpInd"], "numPresentIdpInd", "not a number"
        ),
        problem(
            figure < 0, origin.name, raw["numPresentIdpInd"], "numPresentIdpInd", "negative figure"
        ),
        problem(
            pd.isna(reported), origin.name, raw["reportingDate"], "reportingDate", "not a date"
        ),
    )
    keep, rejects = split_rejects(raw, problems, record_id)
    out = canonical(raw[keep], figure[keep], reported[keep], level)
    out["source_record_id"] = record_id[keep]
    out = add_lineage(out.reset_index(drop=True), origin)
    return Parsed(tables={"displacement": out}, rejects={"displacement": rejects})


def admin_level(columns: pd.Index) -> int:
    """0, 1 or 2: the deepest admin p-code column the response carries."""
    if "admin2Pcode" in columns:
        return 2
    return 1 if "admin1Pcode" in columns else 0


def natural_key(raw: pd.DataFrame, level: int) -> pd.Series:
    """Record id: level, place, date, round, reason and assessment type (DTM ids are per level)."""
    pcode = raw[["admin0Pcode", "admin1Pcode", "admin2Pcode"][level]].astype("string")
    parts = [
        pd.Series(f"admin{level}", index=raw.index),
        raw["operation"].astype("string"),
        pcode,
        raw["reportingDate"].astype("string").str.slice(0, 10),
        "r" + raw.get("roundNumber", pd.Series(pd.NA, index=raw.index)).astype("string"),
        raw.get("displacementReason", pd.Series(pd.NA, index=raw.index)).astype("string"),
        raw["assessmentType"].astype("string"),
    ]
    return pd.concat(parts, axis=1).fillna("").agg("|".join, axis=1)


def canonical(
    raw: pd.DataFrame, figure: pd.Series, reported: pd.Series, level: int
) -> pd.DataFrame:
    """Map DTM fields onto the displacement columns."""
    names = {0: "admin0Name", 1: "admin1Name", 2: "admin2Name"}
    reason = raw.get("displacementReason", pd.Series(pd.NA, index=raw.index)).astype("string")
    extra_cols = [c for c in EXTRA if c in raw.columns]
    return pd.DataFrame(
        {
            "iso3": raw["admin0Pcode"].astype("string").str.upper(),
            "admin_level": level,
            "admin1_pcode": raw.get("admin1Pcode"),
            "admin2_pcode": raw.get("admin2Pcode"),
            "admin1_name": raw.get("admin1Name"),
            "admin2_name": raw.get("admin2Name"),
            "place_name": raw.get(names[level]),
            "metric": "idp_stock",
            "cause": reason.str.lower().map(CAUSES).fillna("unknown"),
            "figure": figure.astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": reported,
            "period_end": reported,
            "reported_on": reported,
            "round_number": pd.to_numeric(raw.get("roundNumber"), errors="coerce"),
            "assessment_type": raw["assessmentType"],
            "event_name": raw["operation"],
            "extra": raw[extra_cols].apply(
                lambda r: json.dumps(r.dropna().to_dict(), ensure_ascii=False), axis=1
            )
            if extra_cols
            else None,
        }
    )
