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
import pyarrow.compute as pc

from transforms import extra, gazetteer, places
from transforms.lineage import Origin
from transforms.parsed import Canonical, InputError, Reject
from transforms.schema import TABLES

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
NOT_AVAILABLE = "Not available"
BATCH_ROWS = 100_000
# Records of rejected rows: given by the route (API JSON keeps its numbers), else read back.
Records = Callable[[list[int]], list[dict[str, Any]]]


@cache
def statements() -> dict[str, str]:
    """The named statements of `dtm_rows.sql` (`-- name: x` starts statement x)."""
    parts = re.split(r"^-- name: (\w+)\n", SQL_FILE.read_text(), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def define_rows(con: duckdb.DuckDBPyConnection, columns: list[str], row: str) -> None:
    """`dtm_rows`: the fields of the relation `dtm_input` (absent ones NULL) and `_row`."""
    con.execute(statements()["macros"])
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
    bad = con.execute(statements()["bad_level"]).fetchone()
    if bad is not None:
        raise InputError(f"{name} row {bad[0]} field adminLevel: not 0, 1 or 2 ({bad[1]})")


def prepare(con: duckdb.DuckDBPyConnection, resolve_places: bool) -> None:
    """The lookups of `dtm_rows`' distinct values, then the `dtm_checked` view over it."""
    keys = con.sql(statements()["keys"]).to_arrow_table().to_pandas()
    keys = keys.astype({c: "string" for c in keys.columns if c != "level"})
    _register(con, "dtm_countries", countries(keys["admin0Pcode"]))
    _register(con, "dtm_fits", fits(keys))
    if resolve_places:
        _register(con, "dtm_places", resolved_places(keys))
    con.execute(statements()["checked"])


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register(f"{name}_frame", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
    con.unregister(f"{name}_frame")


def countries(codes: pd.Series) -> pd.DataFrame:
    """Per distinct admin0Pcode: whether the taxonomies know it, and the gazetteer's name."""
    given = codes.dropna().drop_duplicates()
    iso3 = given.str.strip().str.upper()
    known = set(gazetteer.countries()["iso3"]) | set(gazetteer.idmc_territories()["iso3"])
    return pd.DataFrame(
        {
            "admin0Pcode": given.to_numpy(),
            "known": iso3.isin(known).to_numpy(),
            "name": iso3.map(places.country_names()).astype("string").to_numpy(),
        }
    )


def fits(keys: pd.DataFrame) -> pd.DataFrame:
    """Per distinct (level, p-code, admin0Pcode): whether the p-code fits its country."""
    parts = []
    for n in (1, 2):
        found = keys.loc[keys["level"] >= n, [f"admin{n}Pcode", "admin0Pcode"]].dropna(
            subset=[f"admin{n}Pcode"]
        )
        found = found.drop_duplicates().reset_index(drop=True)
        iso3 = found["admin0Pcode"].str.strip().str.upper()
        ok = pcode_fits(found[f"admin{n}Pcode"], iso3, n) if len(found) else []
        parts.append(
            pd.DataFrame(
                {
                    "level": pd.Series(n, index=found.index, dtype="int8"),
                    "pcode": found[f"admin{n}Pcode"],
                    "admin0Pcode": found["admin0Pcode"],
                    "fits": pd.Series(ok, index=found.index, dtype=bool),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def resolved_places(keys: pd.DataFrame) -> pd.DataFrame:
    """Per distinct admin unit as mapped (codes and names up to the row's level): the
    gazetteer's codes and names, the `extra` members noting what was replaced, and whether it
    stays unresolved."""
    level = keys["level"]
    given = pd.DataFrame(
        {
            "iso3": keys["admin0Pcode"].str.upper(),
            "admin1_pcode": keys["admin1Pcode"].where(level >= 1),
            "admin2_pcode": keys["admin2Pcode"].where(level >= 2),
            "admin1_name": keys["admin1Name"].where(level >= 1),
            "admin2_name": keys["admin2Name"].where(level >= 2),
        }
    ).drop_duplicates(ignore_index=True)
    found = places.resolve_distinct(given)
    notes = found.drop(columns=[*places.ADMIN_COLUMNS, "unresolved"])
    out = given.rename(columns={c: f"{c}_given" for c in places.ADMIN_COLUMNS})
    for column in places.ADMIN_COLUMNS:
        out[column] = found[column].to_numpy()
    out["notes"] = pd.arrays.ArrowStringArray(extra.members(notes))
    out["unresolved"] = found["unresolved"].to_numpy()
    return out


def lineage(origin: Origin) -> dict[str, object]:
    """The statement parameters every output row carries."""
    return {
        "source": origin.source,
        "source_url": origin.source_url,
        "retrieved_at": origin.retrieved_at,
        "load_run_id": origin.load_run_id,
    }


def mapped(con: duckdb.DuckDBPyConnection, origin: Origin) -> pa.Table:
    """The kept rows as the transform gives them (places as given), lineage included."""
    params = lineage(origin)
    return con.sql(statements()["mapped"], params=params).to_arrow_table()


def rejects(con: duckdb.DuckDBPyConnection, name: str, records: Records) -> Iterator[list[Reject]]:
    """The rejected rows in batches, each with its reason and its raw record."""
    reader = con.sql(statements()["rejects"], params={"name": name}).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        if batch.num_rows:
            rows = batch.to_pydict()
            found = records(rows["row_no"])
            yield [
                Reject(int(n), str(why), record, key)
                for n, key, why, record in zip(
                    rows["row_no"], rows["source_record_id"], rows["reason"], found, strict=True
                )
            ]


def staged(con: duckdb.DuckDBPyConnection, origin: Origin, records: Records) -> Iterator[Canonical]:
    """Staged rows (places resolved, schema conformed, lineage) then the rejects, in batches
    of BATCH_ROWS straight from DuckDB."""
    schema = TABLES["displacement"]
    params = lineage(origin)
    reader = con.sql(statements()["staged"], params=params).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        unresolved = batch.column("_unresolved")
        rows_ = pa.Table.from_batches([batch]).drop_columns(["_unresolved"])
        yield Canonical(
            {"displacement": rows_.cast(schema)},
            {},
            [],
            unresolved=int(pc.sum(unresolved).as_py() or 0),
            placed=batch.num_rows,
        )
    for found in rejects(con, origin.name, records):
        yield Canonical({}, {"displacement": _rejects_frame(found)}, [])


def _rejects_frame(found: list[Reject]) -> pd.DataFrame:
    cols = ["row_no", "source_record_id", "reason", "record"]
    return pd.DataFrame([r.as_row() for r in found], columns=cols)


def table_records(con: duckdb.DuckDBPyConnection, first_row: int) -> Records:
    """Records of rows of the DuckDB table `dtm_input` (CSV cells as text, blank as null)."""

    def read(rows: list[int]) -> list[dict[str, Any]]:
        con.register("dtm_reject_rows", pa.table({"r": pa.array(rows, pa.int64())}))
        got = con.execute(
            f"SELECT rowid + {int(first_row)} AS r, to_json(t)::VARCHAR AS record "
            "FROM dtm_input t WHERE rowid + ? IN (SELECT r FROM dtm_reject_rows)",
            [int(first_row)],
        ).fetchall()
        con.unregister("dtm_reject_rows")
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
