"""UNHCR Operational Data Portal figures (population/get JSON, situation CSV) into rows.

The portal gives numbers as strings, `households` "0" when it does not know them, one
all-null record for a country without data, and a `month` field that disagrees with `date`:
`date` (the as-of date of the figure) is used, `month` is kept in `extra`. Households are
never turned into people; a known household count is kept in `extra`.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from transforms.extra import to_json as extra_to_json
from transforms.figures import whole_numbers
from transforms.lineage import Origin, add_lineage
from transforms.parsed import Parsed, first_problem, problem, split_rejects
from transforms.places import country_iso3
from transforms.readers import column
from transforms.schema import empty
from transforms.source_terms import mapped

log = logging.getLogger(__name__)
SITUATION_COLUMNS = ["ISO3", "ISO3 of Origin", "Population type", "Date", "Individuals"]
EXTRA = ["geomaster_id", "origin_code", "origin_name", "households", "month", "source"]


def is_situations_csv(columns: pd.Index) -> bool:
    """True for the HDX CSV made from the portal's situation API."""
    return all(c in columns for c in SITUATION_COLUMNS)


def parse_api(records: list[Any], origin: Origin) -> Parsed:
    """The `data` list of a portal `population/get` or `population/get/origin` response."""
    frame = pd.DataFrame.from_records([r for r in records if isinstance(r, dict)])
    if frame.empty or "individuals" not in frame.columns:
        return Parsed(tables={"displacement": empty("displacement")})
    blank = frame.drop(columns=["population_groups"], errors="ignore").isna().all(axis=1)
    if blank.any():
        log.info("%s: %d all-null record(s): no data for that place", origin.name, blank.sum())
    frame = frame[~blank].reset_index(drop=True)
    frame["pop_type_code"] = population_codes(frame)
    return from_frame(frame, mapped(frame["pop_type_code"], "unhcr", "population_code"), origin, 1)


def population_codes(frame: pd.DataFrame) -> pd.Series:
    """The population type of each record: its own code, else the one its groups share."""
    own = column(frame, "pop_type_code").astype("string")
    groups = column(frame, "population_groups")
    shared = groups.map(
        lambda g: (
            next(iter(codes))
            if isinstance(g, list) and len(codes := {x.get("pop_type_code") for x in g}) == 1
            else None
        )
    ).astype("string")
    return own.fillna(shared)


def from_frame(raw: pd.DataFrame, metric: pd.Series, origin: Origin, first_row: int) -> Parsed:
    """Portal records (API field names) into people figures at the country level."""
    figure, bad = whole_numbers(raw["individuals"])
    iso3 = country_iso3(column(raw, "iso3").fillna(raw["geomaster_name"]))
    day = pd.to_datetime(column(raw, "date"), errors="coerce", format="%Y-%m-%d")

    def check(mask: pd.Series, col: str, what: str) -> pd.Series:
        return problem(mask, origin.name, column(raw, col), col, what, first_row)

    problems = first_problem(
        check(iso3.isna(), "geomaster_name", "not a known country"),
        check(bad | figure.isna(), "individuals", "not a whole number"),
        check(day.isna(), "date", "not a date"),
    )
    other = metric.isna()  # stateless, "refugees and migrants" (RMG) ...: not displacement
    if other.any():
        log.info("%s: %d record(s) of other population types not loaded", origin.name, other.sum())
    ids = record_ids(raw)
    keep, rejects = split_rejects(raw, problems.where(~other), ids, first_row)
    keep &= ~other
    out = raw[keep].assign(
        iso3=iso3[keep], metric=metric[keep], figure=figure[keep], day=day[keep], id=ids[keep]
    )
    return Parsed(
        tables={"displacement": add_lineage(canonical(out), origin)},
        rejects={"displacement": rejects},
    )


def record_ids(raw: pd.DataFrame) -> pd.Series:
    """Place, population type, population groups and date: one figure of the portal."""
    parts = [
        column(raw, c).astype("string").fillna("")
        for c in ("geomaster_id", "pop_type_code", "population_group_id", "date")
    ]
    return parts[0] + "|" + parts[1] + "|" + parts[2] + "|" + parts[3]


def canonical(rows: pd.DataFrame) -> pd.DataFrame:
    """Checked portal records (with iso3, metric, figure, day, id) as displacement rows."""
    households = whole_numbers(column(rows, "households"))[0]
    notes = rows.assign(
        households=households.where(households > 0),  # "0" means not known
        origin_code=column(rows, "pop_origin_code"),
        origin_name=column(rows, "pop_origin_name"),
    )
    return pd.DataFrame(
        {
            "iso3": rows["iso3"],
            "admin_level": 0,
            "place_name": rows["geomaster_name"],
            "metric": rows["metric"],
            "cause": "unknown",
            "figure": rows["figure"].astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": rows["day"],
            "period_end": rows["day"],
            "reported_on": rows["day"],
            "extra": extra_to_json(notes, EXTRA),
            "source_record_id": rows["id"],
        }
    ).reset_index(drop=True)


def parse_situations(raw: pd.DataFrame, origin: Origin, first_row: int) -> Parsed:
    """The HDX situation CSV: Country, ISO3, origin, Population type, Date, Individuals."""
    frame = pd.DataFrame(
        {
            "iso3": raw["ISO3"],
            "geomaster_name": column(raw, "Country").fillna(raw["ISO3"]),
            "geomaster_id": raw["ISO3"],
            "individuals": raw["Individuals"],
            "pop_type_code": raw["Population type"],
            "population_group_id": raw["ISO3 of Origin"].fillna(column(raw, "Country of Origin")),
            "date": raw["Date"],
            "pop_origin_code": raw["ISO3 of Origin"],
            "pop_origin_name": column(raw, "Country of Origin"),
            "source": column(raw, "Source"),
        }
    )
    metric = mapped(raw["Population type"], "unhcr", "population_name")
    return from_frame(frame, metric, origin, first_row)
