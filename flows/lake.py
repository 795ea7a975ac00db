"""Lake and quarantine files: one parquet per table, source and run, written atomically.

A location is a local path or any fsspec URL (`file://`, `s3://bucket/lake`, `memory://`);
`options` carries the object store's credentials from settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.schema import conform

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("row_no", pa.int64()),
        pa.field("source_url", pa.string()),
        pa.field("source_record_id", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("record", pa.string()),
    ]
)

Options = Mapping[str, Any] | None


def partition_path(root: str | Path, table: str, source: str, run_id: str) -> str:
    """`<root>/<table>/source=<source>/<run_id>.parquet` (root a path or URL)."""
    return f"{str(root).rstrip('/')}/{table}/source={source}/{run_id}.parquet"


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


def write_atomic(location: str | Path, table: pa.Table, options: Options = None) -> str:
    """Write parquet to a temporary name beside `location`, then move it into place."""
    fs, path = filesystem(str(location), options)
    parent, name = path.rsplit("/", 1)
    fs.makedirs(parent, exist_ok=True)
    tmp = f"{parent}/.{name}.tmp-{os.getpid()}"
    try:
        with fs.open(tmp, "wb") as out:
            pq.write_table(table, out)
        fs.mv(tmp, path)
    finally:
        if fs.exists(tmp):
            fs.rm(tmp)
    return str(location)


def write_canonical(
    location: str | Path, frame: pd.DataFrame, table: str, options: Options = None
) -> str:
    """A canonical frame, cast to its declared schema, into the lake."""
    return write_atomic(location, conform(frame, table), options)


def write_quarantine(location: str | Path, frame: pd.DataFrame, options: Options = None) -> str:
    """Quarantined rows (row_no, source_url, source_record_id, reason, record)."""
    cols = [f.name for f in QUARANTINE_SCHEMA]
    table = pa.Table.from_pandas(frame[cols], schema=QUARANTINE_SCHEMA, preserve_index=False)
    return write_atomic(location, table, options)


def read(location: str | Path, options: Options = None) -> pd.DataFrame:
    """A lake or quarantine file as a frame."""
    fs, path = filesystem(str(location), options)
    with fs.open(path, "rb") as src:
        return pq.read_table(src).to_pandas()
