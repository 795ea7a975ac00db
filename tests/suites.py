"""A table's expectation suite on a frame or a parquet file, for tests and the bench.

The pipeline validates staged rows (`flows.stage`); these give the same pass (SQL over the
rows, then GX on a sample) a frame's index or a file's row numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from expectations import pushdown
from expectations.runner import ExpectationResult, Validation, load_suite, validate_relation
from warehouse.db import memory_config


@dataclass
class FrameValidation:
    """Results of a suite on a frame, and per row the first reason it failed (NA when it passed)."""

    results: list[ExpectationResult]
    reasons: pd.Series
    reject_rate_limit: float


def validate(df: pd.DataFrame, table: str) -> FrameValidation:
    """Apply `expectations/<table>.json` to a frame."""
    names = pushdown.columns(pushdown.checks(load_suite(table)))
    data = pa.Table.from_pandas(df[[c for c in names if c in df.columns]], preserve_index=False)
    data = data.append_column("_row", pa.array(np.arange(len(df), dtype="int64")))
    with duckdb.connect(config=memory_config()) as con:
        con.register("frame", data)
        found = validate_relation(con, "frame", table)
    reasons = pd.Series(pd.NA, index=df.index, dtype="object")
    reasons.iloc[found.failures["row_no"].to_numpy()] = found.failures["reason"].tolist()
    return FrameValidation(found.results, reasons, found.reject_rate_limit)


def validate_file(path: Path | str, table: str) -> Validation:
    """Apply `expectations/<table>.json` to a parquet file; `row_no` is the file's row number."""
    where = pushdown.literal(str(path))
    source = (
        f"(SELECT *, file_row_number AS _row FROM read_parquet({where}, file_row_number = true))"
    )
    with duckdb.connect(config=memory_config()) as con:
        return validate_relation(con, source, table)
