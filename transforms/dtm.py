"""IOM DTM displacement in every published format into `displacement` rows.

Formats, told apart by content: DTM API v3 JSON (IdpAdmin0/1/2Data), the HDX global CSV
(admin 0-2 rows flattened, `adminLevel` column, HXL row) and baseline / site assessment xlsx
workbooks (see `transforms.dtm_workbook`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import pandas as pd

from transforms import dtm_workbook, extra, gazetteer, hxl_tags, places
from transforms.distinct import per_distinct, series_per_distinct
from transforms.extra import join_key
from transforms.hxl_tags import HxlTable, read_csv, read_csv_batches
from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, first_problem, problem, split_rejects
from transforms.readers import envelope, json_body
from transforms.schema import require_columns
from transforms.sniff import content_kind

REQUIRED = ["operation", "admin0Pcode", "numPresentIdpInd", "reportingDate", "assessmentType"]
CAUSES = {
    "conflict": "conflict",
    "insecurity": "conflict",
    "natural disaster": "disaster",
    "disaster": "disaster",
    "other reason": "other",
    "no reason for displacement reported": "unknown",
}
# Counts above this are not exact as floats (nor plausible): refused, never cast with overflow.
MAX_FIGURE = 2**53
EXTRA = [
    "operation",
    "displacementReason",
    "numberMales",
    "numberFemales",
    "idpOriginAdmin1Name",
    "idpOriginAdmin1Pcode",
]
# DTM writes this where it has no value (origin fields); it is kept out of `extra`.
NOT_AVAILABLE = "Not available"
# An HDX CSV is parsed in blocks of this share of the readers' default (4 MiB, about 25,000 rows):
# a batch costs some 30 times its bytes while it is normalised (text frames, masks, keys, places),
# so 16 MiB batches alone took 550 MB; at a quarter a 1M-row stage stays under 1 GiB.
BLOCK_SHARE = 4


def parse(raw: bytes, origin: Origin) -> Parsed:
    """Any DTM file or API body: JSON, HDX CSV or assessment workbook, by its first bytes."""
    kind = content_kind(raw, origin.name)
    if kind == "xlsx":
        return dtm_workbook.parse(raw, origin)
    if kind == "csv":
        return parse_hdx_csv(raw, origin)
    return parse_api(raw, origin)


def parse_batches(source: BinaryIO, origin: Origin) -> Iterator[Parsed]:
    """Like `parse`, from an open file; an HDX CSV comes in batches of rows (bounded memory)."""
    head = source.read(4096)
    source.seek(0)
    if content_kind(head, origin.name) != "csv":
        yield parse(source.read(), origin)
        return
    for table in read_csv_batches(source, origin.name, hxl_tags.BLOCK_BYTES // BLOCK_SHARE):
        yield hdx_rows(table, origin)


def parse_api(raw: bytes, origin: Origin) -> Parsed:
    """A DTM API v3 JSON body into canonical `displacement` rows (IDP stock, people)."""
    records = api_records(raw, origin.name)
    if not records:
        return Parsed(tables={"displacement": pd.DataFrame()})
    frame = pd.DataFrame.from_records(records)
    require_columns(f"{origin.name} (DTM API)", frame.columns, REQUIRED)
    level = pd.Series(admin_level(frame.columns), index=frame.index)
    return from_frame(frame, origin, level)


def parse_hdx_csv(raw: bytes, origin: Origin) -> Parsed:
    """The HDX global DTM CSV: API fields, one `adminLevel` per row, an optional HXL row."""
    return hdx_rows(read_csv(raw, origin.name), origin)


def hdx_rows(table: HxlTable, origin: Origin) -> Parsed:
    """Rows of the HDX global DTM CSV (all of it, or one batch) into `displacement` rows."""
    frame = table.frame
    require_columns(f"{origin.name} (DTM HDX CSV)", frame.columns, [*REQUIRED, "adminLevel"])
    if frame.empty:
        return Parsed(tables={"displacement": pd.DataFrame()})
    level = series_per_distinct(lambda v: pd.to_numeric(v, errors="coerce"), frame["adminLevel"])
    bad = level.isna() | ~level.isin([0, 1, 2])
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + table.first_row
        got = frame["adminLevel"][bad].iloc[0]
        raise InputError(f"{origin.name} row {row} field adminLevel: not 0, 1 or 2 ({got})")
    return from_frame(frame, origin, level.astype("int8"), table.first_row)


def api_records(raw: bytes, name: str) -> list[dict[str, Any]]:
    """The `result` list of a DTM API v3 envelope; InputError when the body is not one."""
    body = json_body(raw, name)
    records = envelope(body, name, "result", "a DTM API v3 response")
    if body.get("isSuccess") is False:
        raise InputError(f"{name}: DTM API reported failure: {body.get('errorMessages')}")
    return records


def from_frame(raw: pd.DataFrame, origin: Origin, level: pd.Series, row_offset: int = 1) -> Parsed:
    """Normalise DTM admin rows (API field names) already in a frame; `level` per row."""
    figure = numbers(raw["numPresentIdpInd"])
    reported = dates(raw["reportingDate"])
    record_id = natural_key(raw, level)

    def check(mask: pd.Series, field: str, what: str) -> pd.Series:
        return problem(mask, origin.name, raw[field], field, what, row_offset)

    problems = first_problem(
        check(raw["admin0Pcode"].isna(), "admin0Pcode", "missing country code"),
        check(figure.isna(), "numPresentIdpInd", "not a number"),
        check(figure < 0, "numPresentIdpInd", "negative figure"),
        check(~(figure.abs() < MAX_FIGURE), "numPresentIdpInd", "too large"),
        check(figure % 1 != 0, "numPresentIdpInd", "not a whole number"),
        check(pd.isna(reported), "reportingDate", "not a date"),
        *code_problems(raw, level, check),
    )
    keep, rejects = split_rejects(raw, problems, record_id, row_offset)
    out = canonical(raw[keep], figure[keep], reported[keep], level[keep])
    out["source_record_id"] = record_id[keep]
    out = add_lineage(out.reset_index(drop=True), origin)
    return Parsed(tables={"displacement": out}, rejects={"displacement": rejects})


def code_problems(raw: pd.DataFrame, level: pd.Series, check: Any) -> list[pd.Series]:
    """Countries no taxonomy knows, and p-codes of another country or of the wrong length."""
    iso3 = _column(raw, "admin0Pcode").str.strip().str.upper()
    known = set(gazetteer.countries()["iso3"]) | set(gazetteer.idmc_territories()["iso3"])
    found = [check(iso3.notna() & ~iso3.isin(known), "admin0Pcode", "unknown country code")]
    for n in (1, 2):
        field = f"admin{n}Pcode"
        if field in raw.columns:
            keys = pd.DataFrame({"pcode": _column(raw, field), "iso3": iso3, "level": n})
            fits = per_distinct(_pcodes_fit, keys)
            found.append(
                check((level >= n) & ~fits, field, f"not an admin {n} p-code of its country")
            )
    return found


def _pcodes_fit(keys: pd.DataFrame) -> pd.Series:
    return pcode_fits(keys["pcode"], keys["iso3"], int(keys["level"].iloc[0]))


def pcode_fits(pcode: pd.Series, iso3: pd.Series, level: int) -> pd.Series:
    """True where a p-code is missing, or has the country's prefix and a length it uses."""
    text = pcode.str.strip().mask(pcode.isin(["", NOT_AVAILABLE]))
    code = places.repair_pcode(text, iso3)
    prefix = code.str.extract(r"^([A-Z]{2,3})\d+$")[0]
    iso2 = iso3.map(gazetteer.countries().set_index("iso3")["iso2"])
    lengths = iso3.map(lambda iso: _pcode_lengths(iso, level))
    ok_length = [
        n in allowed if allowed else True
        for n, allowed in zip(code.str.len(), lengths, strict=True)
    ]
    own = ((prefix == iso3) | (prefix == iso2)).fillna(False)
    return (text.isna() | (own & pd.Series(ok_length, index=pcode.index))).astype(bool)


def _pcode_lengths(iso3: object, level: int) -> frozenset[int]:
    """Total p-code lengths a country uses at an admin level (empty when unknown)."""
    parts = gazetteer.pcode_lengths().get(str(iso3))
    if not parts or len(parts) <= level or not all(parts[: level + 1]):
        return frozenset()
    totals = {0}
    for options in parts[: level + 1]:
        totals = {t + n for t in totals for n in options}
    return frozenset(totals)


def dates(values: pd.Series) -> pd.Series:
    """Dates from ISO text; anything else, or a year outside 1900-2100, becomes missing."""
    return series_per_distinct(_dates, values.astype("string"))


def _dates(values: pd.Series) -> pd.Series:
    when = pd.to_datetime(values, errors="coerce", format="ISO8601")
    return when.where(when.dt.year.between(1900, 2100)).dt.date


def numbers(values: pd.Series) -> pd.Series:
    """Figures as floats; text that is no number, and JSON true/false, become NaN."""
    if values.dtype == object:
        flags = values.map(lambda v: isinstance(v, bool)).astype(bool)
        values = values.mask(flags)
    return series_per_distinct(lambda v: pd.to_numeric(v, errors="coerce"), values)


def admin_level(columns: pd.Index) -> int:
    """0, 1 or 2: the deepest admin p-code column an API response carries."""
    if "admin2Pcode" in columns:
        return 2
    return 1 if "admin1Pcode" in columns else 0


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    """A column as text, or all-NA when the response has no such field."""
    if name in raw.columns:
        return raw[name].astype("string")
    return pd.Series(pd.NA, index=raw.index, dtype="string")


def natural_key(raw: pd.DataFrame, level: pd.Series) -> pd.Series:
    """Record id: level, place, date, round, reason, origin and assessment type.

    DTM ids are per level and absent at admin 0; admin 0 rows repeat per origin admin 1, and
    the same place and date come once as baseline (BA) and once as site (SA) assessment.
    """
    pcodes = [_column(raw, f"admin{n}Pcode") for n in (0, 1, 2)]
    pcode = pcodes[0].mask(level == 1, pcodes[1]).mask(level == 2, pcodes[2])
    parts = [
        "admin" + level.astype("string"),
        _column(raw, "operation"),
        pcode,
        _column(raw, "reportingDate").str.slice(0, 10),
        "r" + _column(raw, "roundNumber").str.replace(r"\.0$", "", regex=True),
        _column(raw, "displacementReason"),
        _column(raw, "idpOriginAdmin1Pcode"),
        _column(raw, "assessmentType"),
    ]
    return join_key(parts)


def canonical(
    raw: pd.DataFrame, figure: pd.Series, reported: pd.Series, level: pd.Series
) -> pd.DataFrame:
    """Map DTM fields onto the displacement columns."""
    names = [_column(raw, f"admin{n}Name") for n in (0, 1, 2)]
    place = names[0].mask(level == 1, names[1]).mask(level == 2, names[2])
    at_level = {n: level >= n for n in (1, 2)}
    return pd.DataFrame(
        {
            "iso3": _column(raw, "admin0Pcode").str.upper(),
            "admin_level": level.astype("int8"),
            "admin1_pcode": _column(raw, "admin1Pcode").where(at_level[1]),
            "admin2_pcode": _column(raw, "admin2Pcode").where(at_level[2]),
            "admin1_name": names[1].where(at_level[1]),
            "admin2_name": names[2].where(at_level[2]),
            "place_name": place,
            "metric": "idp_stock",
            "cause": _column(raw, "displacementReason").str.lower().map(CAUSES).fillna("unknown"),
            "figure": figure.astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": reported,
            "period_end": reported,
            "reported_on": reported,
            "round_number": pd.to_numeric(_column(raw, "roundNumber"), errors="coerce"),
            "assessment_type": raw["assessmentType"],
            "event_name": raw["operation"],
            "extra": extra.to_json(extra_fields(raw)),
        }
    )


def extra_fields(raw: pd.DataFrame) -> pd.DataFrame:
    """Operation, reason, sex split and origin; `Not available` and null counts left out."""
    fields = raw[[c for c in EXTRA if c in raw.columns]].astype("string")
    fields = fields.mask(fields == NOT_AVAILABLE)
    for col in ("numberMales", "numberFemales"):
        if col in fields.columns:
            number = pd.to_numeric(fields[col], errors="coerce")
            whole = (number % 1 == 0) & (number.abs() < MAX_FIGURE)
            fields[col] = number.where(whole).astype("Int64")
    return fields
