"""Any HXL-tagged CSV into `displacement` rows, figures found by tag.

The hashtag row is found as libhxl finds it (`transforms.hxl_tags`): one of the first 25 rows,
at least half of its cells tags; rows above the header are titles, untagged columns ignored.

One row per figure column (`#affected+idps`, `#affected+refugees`, ...) and data row; `+hh`
figures are households and `+ind` (or no unit) people, each its own row. Sex, age and origin
breakdowns are skipped, and so are cause breakdowns when the file also gives the total.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import pandas as pd

from transforms import extra
from transforms.distinct import series_per_distinct
from transforms.extra import join_key
from transforms.figures import figure_problem, is_blank, to_number
from transforms.gazetteer import DATA
from transforms.hxl_tags import HxlTable, Tag, from_rows, is_hxl_row, read_csv
from transforms.lineage import Origin, add_lineage
from transforms.parsed import InputError, Parsed, Reject, first_problem
from transforms.places import country_iso3
from transforms.sniff import utf8

__all__ = ["HxlTable", "Tag", "from_rows", "is_hxl_row", "parse", "read_csv", "to_displacement"]

FIGURE_HASHTAGS = ("#affected", "#population")
PCODE = r"[A-Za-z]{2,3}\d{1,12}"
ROUND_TAGS = (("#round", ()), ("#meta", ("round",)))


@dataclass(frozen=True)
class FigureColumn:
    """A column of figures and what its tag says they are."""

    column: str
    tag: Tag
    metric: str
    unit: str
    cause: str


@cache
def _attributes() -> tuple[tuple[str, str, str], ...]:
    """(attribute, field, value) rows of `data/hxl_attributes.csv`, later rows winning."""
    raw = pd.read_csv(DATA / "hxl_attributes.csv", dtype="string", keep_default_na=False)
    return tuple(zip(raw["attribute"], raw["field"], raw["value"], strict=True))


def describe(column: str, tag: Tag) -> FigureColumn | None:
    """What a tagged column holds, or None when it is not a figure (or only part of one)."""
    if tag.hashtag not in FIGURE_HASHTAGS:
        return None
    fields = {field: value for attr, field, value in _attributes() if attr in tag.attributes}
    if "metric" not in fields or "breakdown" in fields:
        return None
    unit, cause = fields.get("unit", "people"), fields.get("cause", "unknown")
    return FigureColumn(column, tag, fields["metric"], unit, cause)


def figure_columns(table: HxlTable) -> list[FigureColumn]:
    """The figure columns; a cause breakdown is dropped when its total is also given."""
    found = [f for c, t in table.tags.items() if (f := describe(c, t)) is not None]
    totals = {(f.metric, f.unit) for f in found if f.cause == "unknown"}
    return [f for f in found if f.cause == "unknown" or (f.metric, f.unit) not in totals]


def places(table: HxlTable, name: str) -> pd.DataFrame:
    """Per row: iso3 (from `#country+code`, else `#country+name`), admin 1-3 codes and names."""
    f, col = table.frame, table.column
    code = col("#country", ["code"], ["origin"]) or col("#country", ["iso3"], ["origin"])
    label = col("#country", ["name"], ["origin"])
    if code is None and label is None:
        code, label = plain_country(table)
    if code is None and label is None:
        raise InputError(f"{name}: no #country+code or #country+name column")
    absent = pd.Series(pd.NA, index=f.index, dtype="string")
    given = f[code] if code else absent
    iso3 = country_iso3(given).fillna(country_iso3(f[label]) if label else absent)
    out = pd.DataFrame({"iso3": iso3, "country_given": given.fillna(f[label] if label else "")})
    for n in (1, 2, 3):
        code_col, name_col = (
            col(f"#adm{n}", ["code"], ["origin"]),
            col(f"#adm{n}", ["name"], ["origin"]),
        )
        codes, names = uncrossed(
            f[code_col] if code_col else absent, f[name_col] if name_col else absent
        )
        out[f"admin{n}_pcode"], out[f"admin{n}_name"] = codes, names
    deepest = [out[f"admin{n}_pcode"].notna() | out[f"admin{n}_name"].notna() for n in (3, 2, 1)]
    out["admin_level"] = pd.Series(0, index=f.index).mask(deepest[2], 1)
    out["admin_level"] = out["admin_level"].mask(deepest[1], 2).mask(deepest[0], 3)
    names = [out[f"admin{n}_name"] for n in (3, 2, 1)] + [f[label] if label else absent]
    out["place_name"] = names[0].fillna(names[1]).fillna(names[2]).fillna(names[3])
    return out


def plain_country(table: HxlTable) -> tuple[str | None, str | None]:
    """A `#country` column with neither `+code` nor `+name`: codes when most of its values are
    three letters (`AFG`), names otherwise (`Afghanistan`); as (code column, name column)."""
    plain = table.column("#country", [], ["origin"])
    if plain is None:
        return None, None
    values = table.frame[plain].dropna()
    codes = float(values.str.fullmatch(r"[A-Za-z]{3}").mean()) if len(values) else 0.0
    return (plain, None) if codes > 0.5 else (None, plain)


def uncrossed(codes: pd.Series, names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Code and name columns, swapped back when the file tagged them the wrong way round.

    DTM's Nigeria workbook tags the LGA name `#adm2+code` and the LGA p-code `#adm2+name`.
    """

    def share(values: pd.Series) -> float:
        filled = values.dropna()
        return float(filled.str.fullmatch(PCODE).mean()) if len(filled) else 0.0

    if share(names) > 0.5 and share(codes) < 0.5:
        return names, codes
    return codes, names


def _date_rank(tag: Tag) -> int:
    """Which `#date` column dates a figure: reported, plain, end, occurred, other, then year."""
    order = ["reported", "", "end", "occurred"]
    if "year" in tag.attributes or "month" in tag.attributes:
        return 5 + ("month" in tag.attributes)
    key = next((a for a in order if a in tag.attributes), "" if not tag.attributes else "other")
    return order.index(key) if key in order else 4


def periods(table: HxlTable, name: str) -> pd.DataFrame:
    """Per row: period_start, period_end (a year column gives 1 Jan - 31 Dec) and the raw date."""
    tags = table.tags.items()
    dates = [(_date_rank(t), i, c) for i, (c, t) in enumerate(tags) if t.hashtag == "#date"]
    if not dates:
        raise InputError(f"{name}: no #date column")
    rank, _, column = min(dates)
    raw = table.frame[column]
    if rank == 5:
        year = raw.str.extract(r"^\s*(\d{4})")[0]
        start, end = parse_dates(year + "-01-01"), parse_dates(year + "-12-31")
    else:
        start = end = parse_dates(raw)
    return pd.DataFrame({"period_start": start, "period_end": end, "date_given": raw})


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates from ISO text (`2023-03-31`, `2023-03-31T00:00:00`) or `dd/mm/yyyy`.

    Years outside 1900-2100 (`0000-01-01` placeholders) are no date.
    """
    text = values.astype("string").str.strip().str.slice(0, 19)
    iso = pd.to_datetime(text, errors="coerce", format="ISO8601")
    when = iso.fillna(pd.to_datetime(text, errors="coerce", format="%d/%m/%Y"))
    return when.where(when.dt.year.between(1900, 2100)).dt.date


def rounds(table: HxlTable) -> pd.Series:
    """The assessment round number per row (`#round`, `#meta+round`: R38 gives 38), if any."""
    column = next((c for h, inc in ROUND_TAGS if (c := table.column(h, inc)) is not None), None)
    if column is None:
        return pd.Series(pd.NA, index=table.frame.index, dtype="Int64")
    digits = table.frame[column].str.extract(r"(\d+)")[0]
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


def _long(table: HxlTable, base: pd.DataFrame, figures: list[FigureColumn]) -> pd.DataFrame:
    """One row per non-blank figure cell, with its row's place, date and what the figure is."""
    parts = []
    for fig in figures:
        cells = table.frame[fig.column]
        keep = ~is_blank(cells)
        part = base[keep].assign(
            figure_given=cells[keep], column=fig.column, tag=fig.tag.text,
            metric=fig.metric, unit=fig.unit, cause=fig.cause,
        )  # fmt: skip
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else base.iloc[0:0]


def record_ids(long: pd.DataFrame, file: str) -> pd.Series:
    """The file, place, date and column of each figure, and a digest of all the row's tagged
    cells: the same row gives the same id wherever it stands in the file, and only an exact
    repeat of a row shares it (the key check keeps the first)."""
    cols = ["country_given", "admin1_pcode", "admin2_pcode", "admin3_pcode", "admin3_name"]
    parts = [pd.Series(file, index=long.index, dtype="string")]
    parts += [long[c].astype("string").fillna("") for c in cols]
    parts += [long["date_given"].astype("string").fillna(""), long["column"].astype("string")]
    parts.append(series_per_distinct(_digests, long["identity"].astype("string")))
    return join_key(parts)


def _digests(values: pd.Series) -> pd.Series:
    return values.fillna("").map(lambda v: hashlib.sha256(v.encode()).hexdigest()[:12])


def identities(table: HxlTable) -> pd.Series:
    """Per row, the text of all its tagged cells: sites in one unit with no site column are
    told apart by their own figures and dates, and only a repeated row shares an id."""
    columns = list(table.tags)
    if not columns:
        return pd.Series("", index=table.frame.index, dtype="string")
    return join_key([table.frame[c].astype("string") for c in columns])


def _problems(long: pd.DataFrame, name: str) -> pd.Series:
    """Per figure cell, the first reason it cannot be loaded (NA when it can)."""
    where = f"{name} row " + long["row_no"].astype("string") + " field "

    def reason(
        mask: pd.Series, field: pd.Series | str, what: pd.Series | str, value: pd.Series
    ) -> pd.Series:
        shown = value.astype("string").fillna("null").str.slice(0, 80)
        text = where + field + ": " + what + " (" + shown + ")"
        return text.where(mask.fillna(False).astype(bool), pd.NA)

    bad_figure = figure_problem(long["figure_given"])
    return first_problem(
        reason(long["iso3"].isna(), "country", "unknown country", long["country_given"]),
        reason(bad_figure.notna(), long["column"], bad_figure.fillna(""), long["figure_given"]),
        reason(long["period_end"].isna(), "date", "not a date", long["date_given"]),
    )


def to_displacement(
    table: HxlTable, origin: Origin, fixed: dict[str, object] | None = None
) -> Parsed:
    """Displacement rows from a tagged table; `fixed` sets columns the tags cannot give."""
    name = origin.name
    figures = figure_columns(table)
    if not figures:
        raise InputError(f"{name}: no figure column tagged #affected+idps, +refugees, ...")
    base = pd.concat([places(table, name), periods(table, name)], axis=1)
    base["round_number"] = rounds(table)
    base["row_no"] = range(table.first_row, table.first_row + len(base))
    base["pos"] = range(len(base))
    base["identity"] = identities(table)
    long = _long(table, base, figures)
    if long.empty:
        return Parsed(tables={"displacement": pd.DataFrame()})
    ids, problems = record_ids(long, name), _problems(long, name)
    bad = problems.notna()
    rejects = [
        Reject(int(row.row_no), str(problems[i]), _record(table, int(row.pos)), ids[i])
        for i, row in long[bad].iterrows()
    ]
    out = canonical(long[~bad]).assign(**(fixed or {}))
    out["source_record_id"] = ids[~bad]
    out = add_lineage(out.reset_index(drop=True), origin)
    return Parsed(tables={"displacement": out}, rejects={"displacement": rejects})


def _record(table: HxlTable, pos: int) -> dict[str, object]:
    row = table.frame.iloc[pos]
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def canonical(long: pd.DataFrame) -> pd.DataFrame:
    """The displacement columns of figure cells that passed every check."""
    notes = long[["column", "tag", "admin3_pcode", "admin3_name"]].rename(
        columns={"column": "hxl_column", "tag": "hxl_tag"}
    )
    return pd.DataFrame(
        {
            "iso3": long["iso3"],
            "admin_level": long["admin_level"].astype("int8"),
            **{c: long[c] for c in ("admin1_pcode", "admin2_pcode", "admin1_name")},
            "admin2_name": long["admin2_name"],
            "place_name": long["place_name"],
            "metric": long["metric"],
            "cause": long["cause"],
            "figure": to_number(long["figure_given"]).astype("int64"),
            "unit": long["unit"],
            "qualifier": "exact",
            "period_start": long["period_start"],
            "period_end": long["period_end"],
            "reported_on": long["period_end"],
            "round_number": long["round_number"],
            "extra": extra.to_json(notes),
        }
    )


def parse(raw: bytes, origin: Origin) -> Parsed:
    """A CSV with an HXL hashtag row in its first 25 rows; InputError when it has none."""
    table = read_csv(utf8(raw, origin.name), origin.name)
    if not table.tags:
        raise InputError(
            f"{origin.name}: no HXL hashtag row (#country+code, #affected+idps ...) in the "
            "first 25 rows; the hxl kind reads only HXL-tagged CSVs"
        )
    return to_displacement(table, origin)
