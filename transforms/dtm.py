"""IOM DTM displacement in every published format into `displacement` rows.

Formats, told apart by content: DTM API v3 JSON (IdpAdmin0/1/2Data), the HDX global CSV
(admin 0-2 rows flattened, `adminLevel` column, HXL row) and baseline / site assessment xlsx
workbooks (see `transforms.dtm_workbook`). The JSON and the CSV share one mapping, DuckDB SQL
in `dtm_rows.sql` (see `transforms.dtm_sql`); `staged` takes a file from disk to staged rows
without a frame of the whole file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, BinaryIO

import duckdb
import pandas as pd
import pyarrow as pa

from transforms import csv_duckdb, dtm_sql, dtm_workbook, hxl_tags
from transforms.hxl_tags import HxlTable, read_csv, read_csv_batches
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed, Staged
from transforms.readers import envelope, json_body
from transforms.schema import require_columns
from transforms.sniff import content_kind

REQUIRED = ["operation", "admin0Pcode", "numPresentIdpInd", "reportingDate", "assessmentType"]
# `parse_batches` reads an HDX CSV in blocks of this share of the readers' default (4 MiB,
# about 25,000 rows), each mapped by the same SQL. Staging reads a CSV with DuckDB (`staged`).
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
    with duckdb.connect() as con:
        return _parsed(con, origin, api_relation(con, records, origin.name))


def parse_hdx_csv(raw: bytes, origin: Origin) -> Parsed:
    """The HDX global DTM CSV: API fields, one `adminLevel` per row, an optional HXL row."""
    return hdx_rows(read_csv(raw, origin.name), origin)


def hdx_rows(table: HxlTable, origin: Origin) -> Parsed:
    """Rows of the HDX global DTM CSV (all of it, or one batch) into `displacement` rows."""
    require_columns(f"{origin.name} (DTM HDX CSV)", table.frame.columns, [*REQUIRED, "adminLevel"])
    if table.frame.empty:
        return Parsed(tables={"displacement": pd.DataFrame()})
    with duckdb.connect() as con:
        records = frame_relation(con, table.frame, table.first_row)
        dtm_sql.check_levels(con, origin.name)
        return _parsed(con, origin, records)


def staged(path: str, origin: Origin, con: duckdb.DuckDBPyConnection) -> Staged | None:
    """An HDX CSV or API JSON file to staged rows (places resolved, lineage) as a DuckDB view,
    and its rejects, with no frame of the whole file; None for a workbook or a CSV DuckDB
    does not read as it is (see `parse` and `parse_batches`)."""
    with open(path, "rb") as source:
        head = source.read(4096)
    kind = content_kind(head, origin.name)
    if kind == "xlsx":
        return None
    if kind == "json":
        with open(path, "rb") as source:
            records = api_records(source.read(), origin.name)
        found = api_relation(con, records, origin.name)
    else:
        read = csv_relation(con, path, origin.name)
        if read is None:  # another encoding, mojibake, a title row: read in batches instead
            return None
        found = read
        dtm_sql.check_levels(con, origin.name)
    dtm_sql.prepare(con, origin)
    return dtm_sql.staged(con, found)


def _parsed(con: duckdb.DuckDBPyConnection, origin: Origin, records: dtm_sql.Records) -> Parsed:
    dtm_sql.prepare(con, origin)
    rows = dtm_sql.mapped(con).to_pandas()
    found = [r for batch in dtm_sql.rejects(con, records) for r in batch]
    return Parsed(tables={"displacement": rows}, rejects={"displacement": found})


def api_records(raw: bytes, name: str) -> list[dict[str, Any]]:
    """The `result` list of a DTM API v3 envelope; InputError when the body is not one."""
    body = json_body(raw, name)
    records = envelope(body, name, "result", "a DTM API v3 response")
    if body.get("isSuccess") is False:
        raise InputError(f"{name}: DTM API reported failure: {body.get('errorMessages')}")
    return records


def api_relation(
    con: duckdb.DuckDBPyConnection, records: list[dict[str, Any]], name: str
) -> dtm_sql.Records:
    """API records as the relation `dtm_rows` (values as text, the level from the deepest
    p-code field the response has); their records as given for the rejects."""
    columns = list(dict.fromkeys(k for r in records for k in r))
    if records:  # an empty result is no rows, whatever its fields
        require_columns(f"{name} (DTM API)", columns, REQUIRED)
    texts = {c: pa.array([_text(r.get(c)) for r in records], pa.string()) for c in columns}
    texts["adminLevel"] = pa.array([str(admin_level(columns))] * len(records), pa.string())
    texts["_row"] = pa.array(range(1, len(records) + 1), pa.int64())
    con.register("dtm_input", pa.table(texts))
    dtm_sql.define_rows(con, list(texts), "_row")

    def given(rows: list[int]) -> list[dict[str, Any]]:
        return [{c: records[n - 1].get(c) for c in columns} for n in rows]

    return given


def frame_relation(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, first_row: int
) -> dtm_sql.Records:
    """CSV rows already read (text, blank as NA) as the relation `dtm_rows`, numbered from
    `first_row` as in the file."""
    table = pa.Table.from_pandas(frame.astype("string"), preserve_index=False)
    table = table.append_column(
        "_row", pa.array(range(first_row, first_row + len(frame)), pa.int64())
    )
    con.register("dtm_input", table)
    dtm_sql.define_rows(con, list(frame.columns), "_row")

    def given(rows: list[int]) -> list[dict[str, Any]]:
        return [
            {k: None if pd.isna(v) else v for k, v in frame.iloc[n - first_row].items()}
            for n in rows
        ]

    return given


def csv_relation(con: duckdb.DuckDBPyConnection, path: str, name: str) -> dtm_sql.Records | None:
    """An HDX CSV file as the relation `dtm_rows`, read by DuckDB when it is plain UTF-8 with
    its header first (and the HXL row second, if any); None for any other file, which the
    careful reader takes in batches (`parse_batches`)."""
    found = csv_duckdb.read_into(con, path, name, "dtm_input")
    if found is None:
        return None
    columns, first_row = found
    require_columns(f"{name} (DTM HDX CSV)", columns, [*REQUIRED, "adminLevel"])
    dtm_sql.define_rows(con, columns, f"rowid + {int(first_row)}")
    return dtm_sql.table_records(con, first_row)


def _text(value: object) -> str | None:
    """A JSON value as the text the mapping reads (numbers as written, true as True)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else str(value)


def admin_level(columns: Collection[str]) -> int:
    """0, 1 or 2: the deepest admin p-code column an API response carries."""
    if "admin2Pcode" in columns:
        return 2
    return 1 if "admin1Pcode" in columns else 0
