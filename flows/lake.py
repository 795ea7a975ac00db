"""Lake and quarantine files: one parquet per table, source and run, written atomically.

A location is a local path or any fsspec URL (`file://`, `s3://bucket/lake`, `memory://`);
`options` carries the object store's credentials from settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flows import http

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("row_no", pa.int64()),
        pa.field("source_url", pa.string()),
        pa.field("source_record_id", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("record", pa.string()),
    ]
)

# Quarantine columns that may quote a URL or an error: redacted as they are written.
REDACTED_COLUMNS = ("source_url", "reason")
Options = Mapping[str, Any] | None


def partition_path(root: str | Path, table: str, source: str, run_id: str) -> str:
    """`<root>/<table>/source=<source>/<run_id>.parquet` (root a path or URL)."""
    return f"{str(root).rstrip('/')}/{table}/source={source}/{run_id}.parquet"


def drop_partition(location: str, options: Options = None) -> None:
    """Remove a partition file and the parts or temporary files left beside it, if any."""
    fs, path = filesystem(location, options)
    parent, name = path.rsplit("/", 1)
    for leftover in [path, *fs.glob(f"{parent}/.{name}.*")]:
        if fs.exists(leftover):
            fs.rm(leftover)


def is_local(location: str) -> bool:
    """True for a plain path or a `file://` URL, which DuckDB reads directly."""
    return "://" not in location or location.startswith("file://")


def filesystem(location: str, options: Options = None) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem holding `location`, and the path inside it."""
    opts = dict(options or {}) if not is_local(location) else {}
    fs, path = fsspec.core.url_to_fs(location, **opts)
    return fs, path


def remote_filesystems(locations: list[str], options: Options = None) -> list[Any]:
    """The filesystems of the non-local locations, for DuckDB to read those URLs through."""
    return [filesystem(loc, options)[0] for loc in locations if not is_local(loc)]


@contextmanager
def _in_place(
    location: str | Path, options: Options
) -> Iterator[tuple[fsspec.AbstractFileSystem, str]]:
    """A temporary name beside `location` to write to: moved into place when the block ends,
    removed when it fails, so a reader never sees half a file."""
    fs, path = filesystem(str(location), options)
    parent, name = path.rsplit("/", 1)
    fs.makedirs(parent, exist_ok=True)
    tmp = f"{parent}/.{name}.tmp-{os.getpid()}"
    try:
        yield fs, tmp
        fs.mv(tmp, path)
    finally:
        if fs.exists(tmp):
            fs.rm(tmp)


def write_atomic(location: str | Path, table: pa.Table, options: Options = None) -> str:
    """Write parquet to a temporary name beside `location`, then move it into place."""
    with _in_place(location, options) as (fs, tmp), fs.open(tmp, "wb") as out:
        pq.write_table(table, out)
    return str(location)


def write_streamed(
    location: str | Path, tables: Iterable[pa.Table], schema: pa.Schema, options: Options = None
) -> str:
    """Stream tables (cast to `schema`) into one parquet file under a temporary name beside
    `location`, then move it into place; the file exists, empty, when no row comes."""
    with (
        _in_place(location, options) as (fs, tmp),
        fs.open(tmp, "wb") as out,
        pq.ParquetWriter(out, schema) as writer,
    ):
        for table in tables:
            if table.num_rows:
                writer.write_table(table.select(schema.names).cast(schema))
    return str(location)


def write_query(
    location: str | Path,
    con: duckdb.DuckDBPyConnection,
    query: str,
    schema: pa.Schema,
    options: Options = None,
    batch_rows: int = 100_000,
) -> str:
    """The rows of a DuckDB query (columns and types of `schema`) into one parquet file, moved
    into place when complete: written by DuckDB itself for a local location, else streamed
    through Arrow batches."""
    if not is_local(str(location)):
        batches = con.sql(query).fetch_record_batch(rows_per_batch=batch_rows)
        return write_streamed(
            location, (pa.Table.from_batches([b]) for b in batches), schema, options
        )
    columns = ", ".join('"' + n.replace('"', '""') + '"' for n in schema.names)
    with _in_place(location, options) as (_, tmp):
        target = "'" + tmp.replace("'", "''") + "'"
        con.execute(f"COPY (SELECT {columns} FROM ({query})) TO {target} (FORMAT parquet)")
    return str(location)


def write_quarantine(location: str | Path, frame: pd.DataFrame, options: Options = None) -> str:
    """Quarantined rows (row_no, source_url, source_record_id, reason, record)."""
    return write_atomic(location, quarantine_table(frame), options)


def quarantine_table(frame: pd.DataFrame) -> pa.Table:
    """Quarantined rows as an Arrow table in the quarantine file's schema, secrets redacted
    from their URL and reason (a reason may quote an error or a value)."""
    cols = [f.name for f in QUARANTINE_SCHEMA]
    texts = {c: frame[c].map(_redact, na_action="ignore") for c in REDACTED_COLUMNS if c in cols}
    frame = frame[cols].assign(**texts)
    return pa.Table.from_pandas(frame, schema=QUARANTINE_SCHEMA, preserve_index=False)


def _redact(value: object) -> object:
    return http.redact(value) if isinstance(value, str) else value


def read(location: str | Path, options: Options = None) -> pd.DataFrame:
    """A lake or quarantine file as a frame."""
    fs, path = filesystem(str(location), options)
    with fs.open(path, "rb") as src:
        return pq.read_table(src).to_pandas()


class TableWriter:
    """One table's rows of a source run, written batch by batch as they are parsed.

    Each raw file's rows go to a part file of their own (`with writer.file():`), so a file
    found unreadable halfway is dropped whole; `close()` joins the parts into the partition
    file under a temporary name and moves it into place. Memory holds one batch at a time.
    """

    def __init__(self, location: str, schema: pa.Schema, options: Options = None) -> None:
        self.location, self.schema, self.options = location, schema, options
        self.fs, path = filesystem(location, options)
        self.parent, self.name = path.rsplit("/", 1)
        self.parts: list[str] = []
        self.rows = 0
        self._open: tuple[Any, pq.ParquetWriter] | None = None
        self._file_rows = 0
        self._file_parts = 0

    def write(self, table: pa.Table) -> None:
        """Append rows (already in the table's schema) to the current file's part."""
        if not table.num_rows:
            return
        if self._open is None:
            part = self.next_part()
            out = self.fs.open(part, "wb")
            self._open = (out, pq.ParquetWriter(out, self.schema))
            self.parts.append(part)
        self._open[1].write_table(table)
        self._file_rows += table.num_rows

    def next_part(self) -> str:
        """Where the next part goes (a local path for a local writer); `add_part` takes it
        when another writer (DuckDB's COPY) has written it."""
        self._close_part()
        self.fs.makedirs(self.parent, exist_ok=True)
        return f"{self.parent}/.{self.name}.part{len(self.parts)}-{os.getpid()}"

    def add_part(self, part: str, rows: int) -> None:
        """A part file written elsewhere, in the table's schema, with `rows` rows."""
        self.parts.append(part)
        self._file_rows += rows

    @contextmanager
    def file(self) -> Iterator[None]:
        """Rows written inside the block belong to one raw file: kept together or dropped."""
        self._file_rows = 0
        self._file_parts = len(self.parts)
        try:
            yield
        except BaseException:
            self._close_part()
            while len(self.parts) > self._file_parts:
                part = self.parts.pop()
                if self.fs.exists(part):
                    self.fs.rm(part)
            raise
        self._close_part()
        self.rows += self._file_rows

    def _close_part(self) -> str | None:
        if self._open is None:
            return None
        out, writer = self._open
        writer.close()
        out.close()
        self._open = None
        return self.parts[-1]

    def close(self) -> str:
        """The partition file in place (empty when no row came); its location."""
        path = f"{self.parent}/{self.name}"
        if len(self.parts) == 1:
            self.fs.mv(self.parts[0], path)
            return self.location
        tmp = f"{self.parent}/.{self.name}.tmp-{os.getpid()}"
        self.fs.makedirs(self.parent, exist_ok=True)
        with self.fs.open(tmp, "wb") as out, pq.ParquetWriter(out, self.schema) as writer:
            for part in self.parts:
                with self.fs.open(part, "rb") as src:
                    for batch in pq.ParquetFile(src).iter_batches():
                        writer.write_batch(batch)
        self.fs.mv(tmp, path)
        for part in self.parts:
            self.fs.rm(part)
        return self.location
