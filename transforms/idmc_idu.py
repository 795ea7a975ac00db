"""IDMC Internal Displacement Updates (API JSON list, HDX CSV with or without HXL) into rows.

One IDU record is one reported figure of new displacement; its `id` is the record id, so a
later load of a revised record replaces the figure (the warehouse keeps the old version).
"""

from __future__ import annotations

import pandas as pd

from transforms.extra import to_json as extra_to_json
from transforms.figures import whole_numbers
from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, first_problem, problem, split_rejects
from transforms.readers import by_content, column, text
from transforms.schema import empty, require_columns
from transforms.source_terms import mapped

REQUIRED = [
    "id",
    "iso3",
    "displacement_type",
    "qualifier",
    "figure",
    "displacement_date",
    "created_at",
]
EXTRA = [
    "latitude",
    "longitude",
    "category",
    "subcategory",
    "type",
    "subtype",
    "created_at",
    "old_id",
    "link",
    "event_start",
    "event_end",
]
# IDU dates are local midnights written in UTC (2023-11-06T11:00Z is 7 November in UTC+13).
# Shifted by the easternmost offset, +14 h, every local midnight from UTC-9 to UTC+14 lands
# on its own local date, while a true UTC midnight keeps its date.
EASTERNMOST = pd.Timedelta(hours=14)


def parse(raw: bytes, origin: Origin) -> Parsed:
    """An IDU API response (JSON list) or an HDX IDU CSV into `displacement` rows."""
    name = origin.name
    frame, first_row, where = by_content(
        raw,
        name,
        lambda body: (api_frame(body, name), 1, f"{name} (IDMC IDU API)"),
        lambda rows, first: (rows, first, f"{name} (IDMC IDU CSV)"),
    )
    if frame.empty and len(frame.columns) == 0:
        return Parsed(tables={"displacement": empty("displacement")})
    require_columns(where, frame.columns, REQUIRED)
    return from_frame(frame, origin, first_row)


def api_frame(body: object, name: str) -> pd.DataFrame:
    """The records of an IDU API body (a JSON list of objects) as a frame."""
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise InputError(f"{name}: not an IDMC IDU API response (expected a JSON list of records)")
    return pd.DataFrame.from_records(body)


def local_date(stamps: pd.Series) -> pd.Series:
    """The local calendar date of IDU timestamps (see EASTERNMOST); NaT when unreadable."""
    utc = pd.to_datetime(stamps, errors="coerce", utc=True, format="ISO8601")
    return (utc + EASTERNMOST).dt.tz_localize(None).dt.normalize()


def from_frame(raw: pd.DataFrame, origin: Origin, first_row: int) -> Parsed:
    """Normalise IDU records (API field names) already in a frame."""
    raw = raw.reset_index(drop=True)
    figure, bad_figure = whole_numbers(raw["figure"])
    qualifier = mapped(raw["qualifier"], "idmc", "qualifier")
    day = local_date(raw["displacement_date"])
    record_id = raw["id"].astype("string").str.replace(r"\.0$", "", regex=True)
    name, row = origin.name, first_row

    def check(mask: pd.Series, column: str, what: str) -> pd.Series:
        return problem(mask, name, raw[column], column, what, row)

    problems = first_problem(
        check(record_id.isna(), "id", "missing record id"),
        check(raw["iso3"].isna(), "iso3", "missing country code"),
        check(bad_figure, "figure", "not a whole number"),
        check(figure.isna() & ~bad_figure, "figure", "missing figure"),
        check(qualifier.isna(), "qualifier", "unknown qualifier"),
        check(day.isna(), "displacement_date", "not a date"),
    )
    keep, rejects = split_rejects(raw, problems, record_id, row)
    out = canonical(raw[keep], figure[keep], qualifier[keep], day[keep])
    out["source_record_id"] = record_id[keep]
    out = add_lineage(out.reset_index(drop=True), origin)
    return Parsed(tables={"displacement": out}, rejects={"displacement": rejects})


def canonical(
    raw: pd.DataFrame, figure: pd.Series, qualifier: pd.Series, day: pd.Series
) -> pd.DataFrame:
    """Map IDU fields onto the displacement columns (new displacement, people)."""
    start = local_date(column(raw, "displacement_start_date")).fillna(day)
    end = local_date(column(raw, "displacement_end_date")).fillna(day)
    created = pd.to_datetime(raw["created_at"], errors="coerce", utc=True, format="ISO8601")
    notes = raw.assign(
        latitude=pd.to_numeric(column(raw, "latitude"), errors="coerce"),
        longitude=pd.to_numeric(column(raw, "longitude"), errors="coerce"),
        event_start=_iso(local_date(column(raw, "event_start_date"))),
        event_end=_iso(local_date(column(raw, "event_end_date"))),
    )
    return pd.DataFrame(
        {
            "iso3": raw["iso3"].astype("string").str.strip().str.upper(),
            "admin_level": 0,
            "metric": "new_displacement",
            "cause": mapped(raw["displacement_type"], "idmc", "displacement_type").fillna(
                "unknown"
            ),
            "figure": figure.astype("int64"),
            "unit": "people",
            "qualifier": qualifier,
            "period_start": start,
            "period_end": end,
            "reported_on": created.dt.tz_localize(None).dt.normalize(),
            "event_name": text(raw, "event_name"),
            "extra": extra_to_json(notes, EXTRA),
        }
    )


def _iso(days: pd.Series) -> pd.Series:
    return days.dt.strftime("%Y-%m-%d").astype("string")
