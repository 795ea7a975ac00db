"""UNHCR PRMN (Somalia) displacement arrivals workbooks into monthly district rows.

The sheet has one line per movement group with no id: lines with the same month, arrival
region, district and reason are summed into one figure (their count kept in `extra`). The
month comes from the `Month End` text (dd/mm/yyyy); the `Year` column was an Excel formula
whose value may be missing, so it is not read. Places are names only, resolved later.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd

from transforms.extra import to_json as extra_to_json
from transforms.figures import whole_numbers
from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, first_problem, problem, split_rejects
from transforms.schema import empty, require_columns
from transforms.sniff import check_workbook_size
from transforms.source_terms import mapped

MONTH = "Month End"
REGION = "Current (Arrival) Region"
DISTRICT = "Current (Arrival) District"
REASON = "Reason"
PEOPLE = "Number of Individuals"


def is_workbook(raw: bytes) -> bool:
    """True for an xlsx file (a zip archive)."""
    return raw[:4] == b"PK\x03\x04"


def read_sheet(raw: bytes, name: str) -> pd.DataFrame:
    """The first sheet as text cells (formula cells without a saved value are empty); a zip
    bomb or a sheet without the PRMN columns is refused before its rows are read."""
    check_workbook_size(raw, name)
    require_columns(f"{name} (UNHCR PRMN)", header(raw, name), [MONTH, REGION, REASON, PEOPLE])
    try:
        sheets = pd.read_excel(io.BytesIO(raw), sheet_name=0, dtype="string", engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError) as exc:
        raise InputError(f"{name}: not a readable xlsx workbook ({exc})") from exc
    sheets.columns = [str(c).strip() for c in sheets.columns]
    return sheets


def header(raw: bytes, name: str) -> list[str]:
    """The first row of the first sheet, streamed: nothing below it is read."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{name}: not a readable xlsx workbook ({exc})") from exc
    try:
        if not book.worksheets:
            return []
        first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        return [str(c).strip() for c in first]
    finally:
        book.close()


def parse(raw: bytes, origin: Origin) -> Parsed:
    """A PRMN arrivals workbook into new displacements per month, district and reason."""
    frame = read_sheet(raw, origin.name)
    if frame.empty:
        return Parsed(tables={"displacement": empty("displacement")})
    month_end = pd.to_datetime(frame[MONTH].str.strip(), errors="coerce", format="%d/%m/%Y")
    people, bad = whole_numbers(frame[PEOPLE])

    def check(mask: pd.Series, col: str, what: str) -> pd.Series:
        return problem(mask, origin.name, frame[col], col, what, 2)

    problems = first_problem(
        check(month_end.isna(), MONTH, "not a dd/mm/yyyy date"),
        check(bad | people.isna(), PEOPLE, "not a whole number"),
        check(frame[REGION].isna(), REGION, "missing region"),
    )
    keep, rejects = split_rejects(frame, problems, pd.Series(pd.NA, index=frame.index), 2)
    out = monthly(frame[keep].assign(_end=month_end[keep], _people=people[keep]))
    return Parsed(
        tables={"displacement": add_lineage(out, origin)}, rejects={"displacement": rejects}
    )


def monthly(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per month, region, district and reason: the lines' figures summed."""
    keys = ["_end", REGION, DISTRICT, REASON]
    rows = rows.assign(**{k: rows[k].str.strip() for k in (REGION, DISTRICT, REASON)})
    sums = rows.groupby(keys, dropna=False, sort=True).agg(
        figure=("_people", "sum"), lines=("_people", "size")
    )
    sums = sums.reset_index()
    end = sums["_end"]
    district = sums[DISTRICT].astype("string")
    return pd.DataFrame(
        {
            "iso3": "SOM",
            "admin_level": district.notna().map({True: 2, False: 1}),
            "admin1_name": sums[REGION],
            "admin2_name": district,
            "place_name": district.fillna(sums[REGION]),
            "metric": "new_displacement",
            "cause": mapped(sums[REASON], "prmn", "reason").fillna("unknown"),
            "figure": sums["figure"].astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": end.dt.to_period("M").dt.start_time,
            "period_end": end,
            "extra": extra_to_json(sums.rename(columns={REASON: "reason"}), ["lines", "reason"]),
            "source_record_id": end.dt.strftime("%Y-%m")
            + "|"
            + sums[REGION]
            + "|"
            + district.fillna("")
            + "|"
            + sums[REASON].fillna(""),
        }
    )
