"""The repeated-key check on a real parquet file: exact repeats keep their first row, rows of
one key with different figures are all held back, rows without an id are left to the suite."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from expectations.key_duplicates import CONFLICT, key_duplicates


def test_exact_repeats_name_their_first_and_conflicts_hold_back_every_row(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "source": ["s"] * 7,
            "source_record_id": ["a", "a", "b", "b", "c", None, None],
            "source_url": ["one.json", "two.json", "one.json", "two.json", "one.json", "x", "x"],
            "metric": ["idp_stock"] * 7,
            "cause": ["conflict"] * 7,
            "figure": [10, 10, 20, 30, 40, 1, 2],
            "unit": ["people"] * 7,
            "qualifier": ["exact"] * 7,
            "period_start": [pd.Timestamp("2024-01-31")] * 7,
            "period_end": [pd.Timestamp("2024-01-31")] * 7,
        }
    )
    path = tmp_path / "part.parquet"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), path)
    rows_of = f"read_parquet('{path}', file_row_number = true)"
    staged = f"(SELECT *, file_row_number AS _row FROM {rows_of})"
    with duckdb.connect() as con:
        found = key_duplicates(con, staged, "displacement")
    assert list(found["row_no"]) == [1, 2, 3]
    assert found["reason"][0] == "exact duplicate of the first row with id a (from one.json)"
    assert all(r.startswith(f"{CONFLICT}: b (2 rows, figures 20, 30)") for r in found["reason"][1:])
