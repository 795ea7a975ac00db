"""Lake and quarantine files: one parquet per table, source and run, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

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


def partition_path(root: Path, table: str, source: str, run_id: str) -> Path:
    """`<root>/<table>/source=<source>/<run_id>.parquet`."""
    return root / table / f"source={source}" / f"{run_id}.parquet"


def write_atomic(path: Path, table: pa.Table) -> Path:
    """Write parquet to a temporary name beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_canonical(path: Path, frame: pd.DataFrame, table: str) -> Path:
    """A canonical frame, cast to its declared schema, into the lake."""
    return write_atomic(path, conform(frame, table))


def write_quarantine(path: Path, frame: pd.DataFrame) -> Path:
    """Quarantined rows (row_no, source_url, source_record_id, reason, record)."""
    cols = [f.name for f in QUARANTINE_SCHEMA]
    table = pa.Table.from_pandas(frame[cols], schema=QUARANTINE_SCHEMA, preserve_index=False)
    return write_atomic(path, table)


def read(path: Path) -> pd.DataFrame:
    """A lake or quarantine file as a frame."""
    return pq.read_table(path).to_pandas()
