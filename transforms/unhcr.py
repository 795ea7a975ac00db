"""UNHCR figures into `displacement` rows: every UNHCR format, recognised by its content.

Population statistics (API JSON pages and CSV) and the legacy HDX CSVs are wide tables,
one column per population type, handled here; the ODP portal and PRMN have their own
modules. Where a figure is counted: the country of asylum (for IDPs and returnees that is
the country they are in), so `iso3` is `coa_iso`/`ISO3CoA` and the origin goes to `extra`.
UNHCR's own codes (`coo`/`coa`: ARE is Egypt there) are never read as ISO3.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from transforms import unhcr_odp, unhcr_prmn
from transforms.extra import to_json as extra_to_json
from transforms.figures import whole_numbers
from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, first_problem, problem, split_rejects
from transforms.readers import by_content, text, year_end, year_start
from transforms.schema import SchemaDriftError, empty, require_columns
from transforms.source_terms import terms

log = logging.getLogger(__name__)
# Flows counted over the year; the other metrics are stocks at the end of the year.
FLOWS = {"returnees"}


@dataclass(frozen=True)
class Wide:
    """A UNHCR table with one figure column per population type."""

    name: str
    year: str
    origin: str
    asylum: str
    figures: dict[str, str]  # column -> metric
    extra: tuple[str, ...] = ()


POPULATION = Wide(
    "population statistics",
    "year",
    "coo_iso",
    "coa_iso",
    terms("unhcr", "population_column"),
    ("coo_name", "coa_name", "coo", "coa"),
)
LEGACY = Wide("legacy HDX CSV", "Year", "ISO3CoO", "ISO3CoA", terms("unhcr", "population_code"))


def parse(raw: bytes, origin: Origin) -> Parsed:
    """Any UNHCR file or API response sitrep reads, by its content."""
    if unhcr_prmn.is_workbook(raw):
        return unhcr_prmn.parse(raw, origin)
    return by_content(
        raw,
        origin.name,
        lambda body: from_api(body, origin),
        lambda frame, first_row: from_csv(frame, origin, first_row),
    )


def from_api(body: object, origin: Origin) -> Parsed:
    """A population statistics API page (`items`) or an ODP portal response (`data`)."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return from_frame(pd.DataFrame.from_records(body["items"]), POPULATION, origin, 1)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return unhcr_odp.parse_api(body["data"], origin)
    raise InputError(f"{origin.name}: not a UNHCR API response (no 'items' or 'data' list)")


def from_csv(frame: pd.DataFrame, origin: Origin, first_row: int) -> Parsed:
    """An ODP situations CSV, a population statistics CSV or a legacy HDX CSV."""
    if unhcr_odp.is_situations_csv(frame.columns):
        return unhcr_odp.parse_situations(frame, origin, first_row)
    return from_frame(frame, wide_layout(frame.columns, origin.name), origin, first_row)


def wide_layout(columns: pd.Index, name: str) -> Wide:
    """Population statistics or legacy HDX columns; SchemaDriftError for anything else."""
    for layout in (POPULATION, LEGACY):
        if layout.asylum in columns:
            missing = [c for c in (layout.year, layout.origin) if c not in columns]
            if missing:
                raise SchemaDriftError(f"{name} (UNHCR {layout.name})", missing)
            return layout
    raise SchemaDriftError(f"{name} (UNHCR CSV)", ["coa_iso or ISO3CoA"])


def from_frame(raw: pd.DataFrame, layout: Wide, origin: Origin, first_row: int) -> Parsed:
    """Check the rows of a wide table and emit one row per known, non-zero figure."""
    if raw.empty:
        return Parsed(tables={"displacement": empty("displacement")})
    needed = [layout.year, layout.asylum, layout.origin]
    require_columns(f"{origin.name} (UNHCR {layout.name})", raw.columns, needed)
    raw = raw.reset_index(drop=True)
    year, bad_year = whole_numbers(raw[layout.year])
    present = [c for c in layout.figures if c in raw.columns]
    if not present:  # asylum applications, decisions, demographics: not displacement figures
        log.info("%s: no displacement figure columns, nothing to load", origin.name)
        return Parsed(tables={"displacement": empty("displacement")})
    figures = {c: whole_numbers(raw[c]) for c in present}

    def check(mask: pd.Series, col: str, what: str) -> pd.Series:
        return problem(mask, origin.name, raw[col], col, what, first_row)

    problems = first_problem(
        check(raw[layout.asylum].isna(), layout.asylum, "missing country of asylum"),
        check(bad_year | year.isna(), layout.year, "not a year"),
        *(check(bad, col, "not a whole number") for col, (_, bad) in figures.items()),
    )
    no_ids = pd.Series(pd.NA, index=raw.index)
    keep, rejects = split_rejects(raw, problems, no_ids, first_row)
    kept = raw[keep].assign(_year=year[keep])
    out = pd.concat(
        [metric_rows(kept, layout, col, figures[col][0][keep]) for col in present],
        ignore_index=True,
    )
    return Parsed(
        tables={"displacement": add_lineage(out, origin)}, rejects={"displacement": rejects}
    )


def metric_rows(kept: pd.DataFrame, layout: Wide, col: str, values: pd.Series) -> pd.DataFrame:
    """Rows of one population column; zero and missing cells (UNHCR's empty matrix) skipped."""
    known = values.notna() & (values > 0)
    rows, value = kept[known.fillna(False)], values[known.fillna(False)]
    metric = layout.figures[col]
    start, end = year_start(rows["_year"]), year_end(rows["_year"])
    asylum = rows[layout.asylum].astype("string").str.strip().str.upper()
    origin_iso = rows[layout.origin].astype("string").str.strip().str.upper()
    notes = rows.assign(origin_iso3=origin_iso, population_type=col)
    return pd.DataFrame(
        {
            "iso3": asylum,
            "admin_level": 0,
            "place_name": text(rows, "coa_name"),
            "metric": metric,
            "cause": terms("unhcr", "cause").get(metric, "unknown"),
            "figure": value.astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": start if metric in FLOWS else end,
            "period_end": end,
            "extra": extra_to_json(notes, ["origin_iso3", "population_type", *layout.extra]),
            "source_record_id": rows["_year"].astype("string")
            + "|"
            + origin_iso.fillna("")
            + "|"
            + asylum
            + f"|{col}",
        }
    )
