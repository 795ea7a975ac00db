"""Where a row came from: the lineage columns every canonical row carries."""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from transforms.distinct import series_per_distinct

LINEAGE_COLUMNS = (
    "source",
    "source_record_id",
    "source_url",
    "retrieved_at",
    "load_run_id",
    "record_hash",
)


@dataclass(frozen=True)
class Origin:
    """The raw input a transform reads: which source, from where, when, in which load run."""

    source: str
    source_url: str
    retrieved_at: datetime
    load_run_id: str

    @property
    def name(self) -> str:
        """Short name of the input for error messages (last part of its path or URL)."""
        return self.source_url.rstrip("/").rsplit("/", 1)[-1] or self.source_url


def record_hash(df: pd.DataFrame) -> pd.Series:
    """A stable hash of each row's content columns (lineage excluded), as hex text.

    DTM rows get theirs from DuckDB (`transforms/dtm_rows.sql`); a reload compares content
    where two hashes differ (`warehouse/writes/keep_history.sql`), so how a hash is computed
    never writes history on its own."""
    content = df[[c for c in df.columns if c not in LINEAGE_COLUMNS]]
    if content.empty:
        return pd.Series([], dtype="string", index=df.index)
    text = pd.DataFrame({c: _as_text(content[c]) for c in content.columns})
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy()
    return pd.Series(_hex(hashed), index=df.index)


def _as_text(values: pd.Series) -> pd.Series:
    """A column as text; dates and other objects converted once per distinct value."""
    if values.dtype == object:
        return series_per_distinct(lambda v: v.astype("string"), values)
    return values.astype("string")


def _hex(hashes: np.ndarray) -> pd.arrays.ArrowStringArray:
    """64-bit hashes as 16 hex digits each, without a Python call per row."""
    digits = np.frombuffer(binascii.hexlify(hashes.astype(">u8").tobytes()), dtype="S16")
    return pd.arrays.ArrowStringArray(pa.array(digits, type=pa.binary(16)).cast(pa.string()))


def add_lineage(df: pd.DataFrame, origin: Origin) -> pd.DataFrame:
    """Stamp source, url, retrieval time, run id and content hash on every row."""
    out = df.copy()
    out["source"] = origin.source
    out["source_url"] = origin.source_url
    out["retrieved_at"] = pd.Timestamp(origin.retrieved_at)
    out["load_run_id"] = origin.load_run_id
    out["record_hash"] = record_hash(df)
    return out
