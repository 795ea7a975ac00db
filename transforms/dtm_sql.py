"""The DTM mapping (`dtm_rows.sql`) run in DuckDB over a relation of DTM API fields as text.

One implementation for every DTM route: the HDX CSV read by DuckDB's own CSV reader, the API
v3 JSON's `result` records, and a CSV batch the careful reader decoded. Python computes only
what SQL cannot say, once per distinct value, and DuckDB joins it back: which country codes
exist (and their gazetteer names), which p-codes fit their country and level, and the admin
units the gazetteer resolves them to (`transforms.places`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from transforms import extra, gazetteer, places
from transforms.lineage import Origin
from transforms.parsed import InputError, Reject, Staged, rejects_frame

SQL_FILE = Path(__file__).with_name("dtm_rows.sql")
# The DTM API fields the mapping reads; a relation without one reads it as NULL.
FIELDS = (
    "adminLevel",
    "operation",
    "admin0Name",
    "admin0Pcode",
    "admin1Name",
    "admin1Pcode",
    "admin2Name",
    "admin2Pcode",
    "numPresentIdpInd",
    "reportingDate",
    "roundNumber",
    "displacementReason",
    "numberMales",
    "numberFemales",
    "idpOriginAdmin1Name",
    "idpOriginAdmin1Pcode",
    "assessmentType",
)
# DTM writes this where it has no value (origin fields).
NOT_AVAILABLE = "Not available"
BATCH_ROWS = 100_000
# Records of rejected rows by file row: given by the route (API JSON keeps its numbers).
Records = Callable[[list[int]], list[dict[str, Any]]]


@cache
def statements() -> dict[str, str]:
    """The named statements of `dtm_rows.sql` (`-- name: x` starts statement x)."""
    parts = re.split(r"^-- name: (\w+)\n", SQL_FILE.read_text(), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The mapping's macros, and `dtm_json_text`: Python's own JSON text of a string, for the
    rare value holding a control character (DuckDB writes those escapes in upper case)."""
    [(known,)] = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'dtm_json_text'"
    ).fetchall()
    if not known:
        con.create_function(
            "dtm_json_text",
            lambda v: json.dumps(v, ensure_ascii=False),
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
        )
    con.execute(statements()["macros"])


def define_rows(con: duckdb.DuckDBPyConnection, columns: list[str], row: str) -> None:
    """`dtm_rows`: the fields of the relation `dtm_input` (absent ones NULL) and `_row`."""
    define_macros(con)
    present = set(columns)
    fields = [
        f"{quote(f)}::VARCHAR AS {quote(f)}" if f in present else f"NULL::VARCHAR AS {quote(f)}"
        for f in FIELDS
    ]
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW dtm_rows AS SELECT {row} AS _row, "
        f"{', '.join(fields)} FROM dtm_input"
    )


def check_levels(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """InputError naming the first row whose adminLevel is not 0, 1 or 2."""
    found = con.execute(statements()["bad_level"]).fetchall()
    if found:
        bad = found[0]
        raise InputError(f"{name} row {bad[0]} field adminLevel: not 0, 1 or 2 ({bad[1]})")


def prepare(con: duckdb.DuckDBPyConnection, origin: Origin) -> None:
    """The lookups of `dtm_rows`' distinct values, the lineage row, the `dtm_checked` view."""
    keys = con.sql(statements()["keys"]).to_arrow_table().to_pandas()
    keys = keys.astype({c: "string" for c in keys.columns if c != "level"})
    _register(con, "dtm_keys", key_lookups(keys))
    con.execute(statements()["dates"])
    lineage = {
        "source": [origin.source],
        "source_url": [origin.source_url],
        "retrieved_at": pa.array([origin.retrieved_at], pa.timestamp("us", tz="UTC")),
        "load_run_id": [origin.load_run_id],
        "name": [origin.name],
    }
    _register(con, "dtm_origin", pa.table(lineage))
    con.execute(statements()["checked"])


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table | pd.DataFrame) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    con.register(f"{name}_given", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_given")
    con.unregister(f"{name}_given")


def key_lookups(keys: pd.DataFrame) -> pd.DataFrame:
    """Per distinct (level, admin0Pcode, admin 1/2 codes and names): whether the country is
    known and its gazetteer name, whether the p-codes fit, and the admin units resolved."""
    out = keys.copy()
    iso3 = keys["admin0Pcode"].str.strip().str.upper()
    out["known"] = iso3.isin(places.country_codes()) | iso3.isna()
    out["country_name"] = iso3.map(places.country_names()).astype("string")
    for n in (1, 2):
        at_level = (keys["level"] >= n).fillna(False)
        fits = pd.Series(True, index=keys.index)
        if at_level.any():
            fits[at_level] = pcode_fits(keys.loc[at_level, f"admin{n}Pcode"], iso3[at_level], n)
        out[f"fits{n}"] = fits.astype(bool)
    level = keys["level"]
    given = pd.DataFrame(
        {
            "iso3": keys["admin0Pcode"].str.upper(),
            "admin1_pcode": keys["admin1Pcode"].where(level >= 1),
            "admin2_pcode": keys["admin2Pcode"].where(level >= 2),
            "admin1_name": keys["admin1Name"].where(level >= 1),
            "admin2_name": keys["admin2Name"].where(level >= 2),
        }
    )
    found = places.resolve_distinct(given)
    for column in places.ADMIN_COLUMNS:
        out[f"resolved_{column}"] = found[column].astype("string")
    notes = found.drop(columns=[*places.ADMIN_COLUMNS, "unresolved"])
    out["place_notes"] = pd.arrays.ArrowStringArray(extra.members(notes))
    out["unresolved"] = found["unresolved"].astype(bool)
    return out


def mapped(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The kept rows as the transform gives them (places as given), lineage included."""
    return con.sql(statements()["mapped"]).to_arrow_table()


def rejects(con: duckdb.DuckDBPyConnection, records: Records) -> Iterator[list[Reject]]:
    """The rejected rows in batches, each with its reason and its raw record."""
    for batch in con.sql(statements()["rejects"]).to_arrow_reader(BATCH_ROWS):
        if batch.num_rows:
            rows = batch.to_pydict()
            found = records(rows["row_no"])
            yield [
                Reject(int(n), str(why), record, key)
                for n, key, why, record in zip(
                    rows["row_no"], rows["source_record_id"], rows["reason"], found, strict=True
                )
            ]


def staged(con: duckdb.DuckDBPyConnection, records: Records) -> Staged:
    """The view of the staged rows (places resolved, lineage) and the rejects, by batch."""
    con.execute(statements()["staged"])
    [(placed, unresolved, last)] = con.execute(statements()["counts"]).fetchall()
    batches = (rejects_frame(found) for found in rejects(con, records))
    return Staged("dtm_staged", batches, int(placed), int(unresolved or 0), int(last or 0))


def table_records(con: duckdb.DuckDBPyConnection, first_row: int) -> Records:
    """Records of rows of the DuckDB table `dtm_input` (CSV cells as text, blank as null),
    read on a cursor of their own while the rejects are still being read."""

    def read(rows: list[int]) -> list[dict[str, Any]]:
        with con.cursor() as cur:
            cur.register("dtm_reject_rows", pa.table({"r": pa.array(rows, pa.int64())}))
            got = cur.execute(
                "SELECT rowid + $first AS r, to_json(t)::VARCHAR AS record FROM dtm_input t "
                "SEMI JOIN dtm_reject_rows j ON t.rowid = j.r - $first",
                {"first": int(first_row)},
            ).fetchall()
        by_row = {r: json.loads(text) for r, text in got}
        return [by_row[r] for r in rows]

    return read


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
