"""IDMC GIDD figures (API pages, HDX CSVs, the older country-year HXL CSV) into rows.

A source row carries up to two figures (new displacements and the year-end stock); each
known figure becomes one row, an unknown one (null) none. The raw figure is loaded, the
rounded one kept in `extra`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from transforms.extra import join_key
from transforms.extra import to_json as extra_to_json
from transforms.figures import whole_numbers
from transforms.lineage import Origin, add_lineage
from transforms.parsed import Parsed, first_problem, problem, split_rejects
from transforms.readers import by_content, column, envelope, text, year_end, year_start
from transforms.schema import SchemaDriftError, empty

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Figure:
    """One figure column of a layout: what it measures and where its rounded twin is."""

    column: str
    metric: str
    cause: str
    rounded: str | None = None


@dataclass(frozen=True)
class Layout:
    """A GIDD file shape: how to recognise it, its columns and its figure columns."""

    name: str
    marker: str
    iso3: str
    year: str
    country: str
    figures: tuple[Figure, ...]
    extra: tuple[str, ...] = ()


def _api_figures(cause: str) -> tuple[Figure, ...]:
    return (
        Figure("new_displacement", "new_displacement", cause, "new_displacement_rounded"),
        Figure("total_displacement", "idp_stock", cause, "total_displacement_rounded"),
    )


DISASTER_EXTRA = (
    "start_date",
    "start_date_accuracy",
    "end_date",
    "end_date_accuracy",
    "hazard_category_name",
    "hazard_sub_category_name",
    "hazard_type_name",
    "hazard_sub_type_name",
    "event_codes",
)
# The HDX disasters CSV spells one column differently from the API.
ALIASES = {"hazard_subtype_name": "hazard_sub_type_name"}
LAYOUTS = (
    Layout(
        "disasters",
        "start_date_accuracy",
        "iso3",
        "year",
        "country_name",
        _api_figures("disaster"),
        DISASTER_EXTRA,
    ),
    Layout(
        "conflicts", "total_displacement", "iso3", "year", "country_name", _api_figures("conflict")
    ),
    Layout(
        "country-year",
        "Conflict Stock Displacement",
        "ISO3",
        "Year",
        "Name",
        (
            Figure("Conflict Stock Displacement", "idp_stock", "conflict"),
            Figure("Conflict New Displacements", "new_displacement", "conflict"),
            Figure("Disaster New Displacements", "new_displacement", "disaster"),
            Figure("Disaster Stock Displacement", "idp_stock", "disaster"),
        ),
    ),
)


def parse(raw: bytes, origin: Origin) -> Parsed:
    """A GIDD API page (conflicts or disasters) or a GIDD CSV into `displacement` rows."""
    frame, first_row, release = read_rows(raw, origin.name)
    layout = detect(frame.columns, origin.name)
    if layout is None:
        return Parsed(tables={"displacement": empty("displacement")})
    return from_frame(frame, layout, origin, first_row, release)


def read_rows(raw: bytes, name: str) -> tuple[pd.DataFrame, int, str | None]:
    """The source rows of an API page or CSV, the file row of the first, and the release date."""
    frame, first_row, release = by_content(
        raw, name, lambda body: api_page(body, name), lambda rows, first: (rows, first, None)
    )
    frame = frame.rename(columns=ALIASES)
    if "event_codes" in frame.columns:  # the HDX CSV joins the API's list with `,`
        frame["event_codes"] = frame["event_codes"].astype("string").str.replace(",", ";")
    return frame, first_row, release


def api_page(body: Any, name: str) -> tuple[pd.DataFrame, int, str | None]:
    """The results of a GIDD API page, its first row number (1) and its `last_updated`."""
    frame = pd.DataFrame.from_records(envelope(body, name, "results", "an IDMC GIDD API page"))
    for col in ("event_codes", "event_codes_type"):
        if col in frame.columns:
            frame[col] = frame[col].map(_joined)
    return frame, 1, body.get("last_updated")


def _joined(value: object) -> object:
    """List cells (event codes) as one `;`-joined text; empty lists as missing."""
    if isinstance(value, list):
        return ";".join(map(str, value)) or None
    return value


def detect(columns: pd.Index, name: str) -> Layout | None:
    """The layout a file has, None for an empty page, SchemaDriftError for anything else."""
    if len(columns) == 0:
        return None
    for layout in LAYOUTS:
        if layout.marker in columns:
            needed = [layout.iso3, layout.year] + [f.column for f in layout.figures]
            missing = [c for c in needed if c not in columns]
            if missing:
                raise SchemaDriftError(f"{name} (IDMC GIDD {layout.name})", missing)
            return layout
    raise SchemaDriftError(
        f"{name} (IDMC GIDD)", ["total_displacement or Conflict Stock Displacement"]
    )


def from_frame(
    raw: pd.DataFrame, layout: Layout, origin: Origin, first_row: int, release: str | None = None
) -> Parsed:
    """Check GIDD source rows, quarantine the bad ones, emit one row per figure.

    Repeated rows keep one id each; the run's key check (`expectations.key_duplicates`)
    quarantines them, across pages and files as within one."""
    raw = raw.reset_index(drop=True)
    year, bad_year = whole_numbers(raw[layout.year])
    figures = {f.column: whole_numbers(raw[f.column]) for f in layout.figures}

    def check(mask: pd.Series, col: str, what: str) -> pd.Series:
        return problem(mask, origin.name, raw[col], col, what, first_row)

    checks = [
        check(raw[layout.iso3].isna(), layout.iso3, "missing country code"),
        check(bad_year | year.isna(), layout.year, "not a year"),
        *(check(bad, col, "not a whole number") for col, (_, bad) in figures.items()),
    ]
    no_ids = pd.Series(pd.NA, index=raw.index)
    keep, rejects = split_rejects(raw, first_problem(*checks), no_ids, first_row)
    kept = raw[keep].assign(_year=year[keep], _release=release)
    rows = [figure_rows(kept, layout, f, figures[f.column][0][keep]) for f in layout.figures]
    out = pd.concat(rows, ignore_index=True)
    unknown = sum(int(figures[f.column][0][keep].isna().sum()) for f in layout.figures)
    log.info("%s: %d unknown (null) figures not loaded", origin.name, unknown)
    out = add_lineage(out, origin)
    return Parsed(tables={"displacement": out}, rejects={"displacement": rejects})


def unknown_figures(raw: bytes, origin: Origin) -> int:
    """How many figure cells of a file are null (unknown totals), for reports and tests."""
    frame = read_rows(raw, origin.name)[0]
    layout = detect(frame.columns, origin.name)
    if layout is None:
        return 0
    return sum(int(whole_numbers(frame[f.column])[0].isna().sum()) for f in layout.figures)


def figure_rows(kept: pd.DataFrame, layout: Layout, fig: Figure, values: pd.Series) -> pd.DataFrame:
    """The canonical rows of one figure column: only where the figure is known."""
    rows = kept[values.notna()]
    value = values[values.notna()]
    start, end = periods(rows, layout, fig)
    rounded = whole_numbers(column(rows, fig.rounded))[0] if fig.rounded else pd.NA
    extra = rows.assign(figure_rounded=rounded)
    extra = extra.rename(columns={layout.country: "country_name", "_release": "last_updated"})
    return pd.DataFrame(
        {
            "iso3": rows[layout.iso3].astype("string").str.strip().str.upper(),
            "admin_level": 0,
            "place_name": text(rows, layout.country),
            "metric": fig.metric,
            "cause": fig.cause,
            "figure": value.astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": start,
            "period_end": end,
            "event_name": text(rows, "event_name"),
            "extra": extra_to_json(
                extra, ["country_name", "figure_rounded", "last_updated", *layout.extra]
            ),
            "source_record_id": record_ids(rows, layout, fig),
        }
    )


def periods(rows: pd.DataFrame, layout: Layout, fig: Figure) -> tuple[pd.Series, pd.Series]:
    """Stocks: as of 31 December. New displacements: the year, or the event's days when exact.

    GIDD disaster dates are often placeholders (2011-01-01 with accuracy Month, Year, Week or
    none), so only a start date whose accuracy is Day narrows the period below the year; its
    end is the end date (Day), the end of its month (Month), else the end of the year.
    """
    first, last = year_start(rows["_year"]), year_end(rows["_year"])
    if fig.metric == "idp_stock":
        return last, last
    if layout.name != "disasters":
        return first, last
    start = _dated(rows, "start_date", "day")
    end = _dated(rows, "end_date", "day").fillna(
        _dated(rows, "end_date", "month") + pd.offsets.MonthEnd(0)
    )
    exact = start.notna()
    end = end.where(end.notna() & (end >= start), last.where(last >= start, start))
    return start.where(exact, first), end.where(exact, last)


def _dated(rows: pd.DataFrame, field: str, accuracy: str) -> pd.Series:
    """The dates of `field` whose `<field>_accuracy` is `accuracy`, NaT elsewhere."""
    given = column(rows, f"{field}_accuracy").astype("string").str.casefold() == accuracy
    dates = pd.to_datetime(column(rows, field), errors="coerce", format="%Y-%m-%d")
    return dates.where(given.fillna(False).astype(bool))


# Provider ids, most specific first; GIDD pages and CSVs of 2025 carry none of them.
PROVIDER_IDS = ("figure_id", "event_id", "id")
# What tells one disaster row from another when there is no provider id: the event, its
# dates and their accuracy, its hazard and its figures (never its page or row).
EVENT_FIELDS = (
    "event_name",
    "start_date",
    "start_date_accuracy",
    "end_date",
    "end_date_accuracy",
    "hazard_sub_type",
)
EVENT_FIGURES = ("new_displacement", "total_displacement")


def record_ids(rows: pd.DataFrame, layout: Layout, fig: Figure) -> pd.Series:
    """Country-year rows: iso3|year|cause|metric. Disaster rows: the provider's id where the
    file has one, else the event name and a digest of every identifying field, so the same
    row has the same id on any page, in any page order and in the HDX CSV."""
    iso3 = rows[layout.iso3].astype("string").str.strip().str.upper()
    base = iso3 + "|" + rows["_year"].astype("string")
    if layout.name != "disasters":
        return base + f"|{fig.cause}|{fig.metric}"
    given = next((c for c in PROVIDER_IDS if c in rows.columns), None)
    if given is not None:
        return base + f"|{given}:" + _id_text(rows[given]) + f"|{fig.metric}"
    fields = [_id_text(column(rows, c)) for c in EVENT_FIELDS]
    fields += [whole_numbers(column(rows, c))[0].astype("string") for c in EVENT_FIGURES]
    digest = join_key([base, *fields]).map(_digest)
    name = column(rows, "event_name").astype("string").fillna("")
    return base + "|" + name + "|" + digest + f"|{fig.metric}"


def _id_text(values: pd.Series) -> pd.Series:
    """Cells as the text both routes share: `13` for 13 and 13.0, dates without a time."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return text.str.replace(r"^(\d{4}-\d\d-\d\d)[T ].*$", r"\1", regex=True)


def _digest(key: object) -> str:
    return hashlib.sha256(str(key).encode()).hexdigest()[:12]
