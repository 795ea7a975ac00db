"""HDX HAPI `affected-people/idps` (the API's JSON or the CSV, BOM and all) into `displacement`.

HAPI has already matched the provider's admin names to the CODs: `admin1_name` is the
gazetteer's name and `provider_admin1_name` the provider's, which is kept in `extra` with the
row's `warning`. Rows HAPI marked with an `error` are quarantined with that error as reason.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from transforms import extra
from transforms.extra import join_key
from transforms.figures import figure_problem, is_blank, to_number
from transforms.hxl import parse_dates
from transforms.hxl_tags import read_csv
from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, first_problem, problem, split_rejects
from transforms.readers import envelope, json_body
from transforms.schema import require_columns
from transforms.sniff import content_kind, utf8

REQUIRED = [
    "location_code",
    "admin_level",
    "population",
    "reference_period_start",
    "reference_period_end",
]
KEY = [
    "location_code",
    "admin_level",
    "admin1_code",
    "provider_admin1_name",
    "admin2_code",
    "provider_admin2_name",
    "operation",
    "assessment_type",
    "reporting_round",
    "reference_period_start",
    "reference_period_end",
]
EXTRA = [
    "provider_admin1_name",
    "provider_admin2_name",
    "warning",
    "operation",
    "has_hrp",
    "in_gho",
    "dataset_hdx_id",
    "resource_hdx_id",
]


def parse(raw: bytes, origin: Origin) -> Parsed:
    """A HAPI idps page (JSON `{"data": [...]}`) or table (CSV), told apart by content."""
    raw = utf8(raw, origin.name)
    kind = content_kind(raw, origin.name)
    if kind == "xlsx":
        raise InputError(f"{origin.name}: a workbook; HAPI idps comes as JSON or CSV")
    if kind == "json":
        frame, first_row = pd.DataFrame.from_records(api_records(raw, origin.name)), 1
    else:
        table = read_csv(raw, origin.name)
        frame, first_row = table.frame, table.first_row
    if frame.empty:
        return Parsed(tables={"displacement": pd.DataFrame()})
    require_columns(f"{origin.name} (HAPI idps)", frame.columns, REQUIRED)
    return from_frame(frame, origin, first_row)


def api_records(raw: bytes, name: str) -> list[dict[str, Any]]:
    """The `data` list of a HAPI response; InputError when the body is not one."""
    return envelope(json_body(raw, name), name, "data", "a HAPI response")


def _text(raw: pd.DataFrame, name: str) -> pd.Series:
    """A field as stripped text ('' as NA), or all-NA when absent."""
    if name not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    text = raw[name].astype("string").str.strip()
    return text.mask(text == "")


def from_frame(raw: pd.DataFrame, origin: Origin, first_row: int) -> Parsed:
    """Canonical rows from HAPI idps records; rows with a HAPI `error` or bad values rejected."""
    start = parse_dates(raw["reference_period_start"])
    end = parse_dates(raw["reference_period_end"])
    level = pd.to_numeric(raw["admin_level"], errors="coerce")
    bad_figure = figure_problem(raw["population"]).mask(
        is_blank(raw["population"]), "missing figure"
    )
    error = _text(raw, "error")
    name = origin.name

    def check(mask: pd.Series, field: str, what: str) -> pd.Series:
        return problem(mask, name, raw[field], field, what, first_row)

    figure_checks = ("not a number", "negative figure", "not a whole number", "missing figure")
    problems = first_problem(
        problem(error.notna(), name, error, "error", "HAPI error", first_row),
        check(_text(raw, "location_code").isna(), "location_code", "missing country code"),
        check(~level.isin([0, 1, 2]), "admin_level", "not 0, 1 or 2"),
        *(check(bad_figure == what, "population", what) for what in figure_checks),
        check(pd.isna(end), "reference_period_end", "not a date"),
    )
    ids = natural_key(raw)
    keep, rejects = split_rejects(raw, problems, ids, first_row)
    out = canonical(raw[keep], start[keep], end[keep], level[keep])
    out["source_record_id"] = ids[keep]
    out = add_lineage(out.reset_index(drop=True), origin)
    return Parsed(tables={"displacement": out}, rejects={"displacement": rejects})


def natural_key(raw: pd.DataFrame) -> pd.Series:
    """Country, level, place (code and provider name), operation, assessment, round, period."""
    parts = [_text(raw, c).str.replace(r"(?<=\d{4}-\d\d-\d\d)T.*$", "", regex=True) for c in KEY]
    return join_key(parts)


def canonical(
    raw: pd.DataFrame, start: pd.Series, end: pd.Series, level: pd.Series
) -> pd.DataFrame:
    """Map HAPI fields onto the displacement columns (gazetteer names, provider's as fallback)."""
    names = {
        n: _text(raw, f"admin{n}_name").fillna(_text(raw, f"provider_admin{n}_name"))
        for n in (1, 2)
    }
    # HAPI gives no country name: country rows are named from the gazetteer at staging.
    absent = pd.Series(pd.NA, index=raw.index, dtype="string")
    place = absent.mask(level >= 1, names[1]).mask(level >= 2, names[2])
    notes = pd.DataFrame({c: _text(raw, c) for c in EXTRA})
    return pd.DataFrame(
        {
            "iso3": _text(raw, "location_code").str.upper(),
            "admin_level": level.astype("int8"),
            "admin1_pcode": _text(raw, "admin1_code"),
            "admin2_pcode": _text(raw, "admin2_code"),
            "admin1_name": names[1],
            "admin2_name": names[2],
            "place_name": place,
            "metric": "idp_stock",
            "cause": "unknown",
            "figure": to_number(raw["population"]).astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": start,
            "period_end": end,
            "reported_on": end,
            "round_number": pd.to_numeric(_text(raw, "reporting_round"), errors="coerce"),
            "assessment_type": _text(raw, "assessment_type"),
            "event_name": _text(raw, "operation"),
            "extra": extra.to_json(notes),
        }
    )
