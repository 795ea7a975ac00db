"""One key, several rows: exact duplicates keep their first row, conflicting figures none.

A key (`source`, `source_record_id`) names one record. Two rows with it and the same figure
facts are the same record told twice: the first is loaded and the others are quarantined
naming it. Two rows with it and different facts cannot both be right and the order of the
files does not say which is: both are quarantined ("conflicting figures for one key"), as
HDX HAPI withholds such rows. Runs over a whole source run's staged rows, so duplicates
across files, pages and batches are found as well as within one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from expectations.pushdown import quote

HERE = Path(__file__).parent
# The columns whose values make a figure: rows of one key that agree on all of them are one.
FACTS = {
    "displacement": (
        "metric", "cause", "figure", "unit", "qualifier", "period_start", "period_end"
    ),
}  # fmt: skip
CONFLICT = "conflicting figures for one key"


@cache
def _template() -> str:
    return (HERE / "sql" / "key_duplicates.sql").read_text()


def key_duplicates(con: duckdb.DuckDBPyConnection, source: str, table: str) -> pd.DataFrame:
    """Rows of `source` (a relation with a 0-based `_row` column) to quarantine for their key:
    `row_no` (that `_row`) and `reason`."""
    facts = FACTS.get(table)
    if facts is None:
        return pd.DataFrame({"row_no": pd.Series(dtype="int64"), "reason": pd.Series(dtype=str)})
    sql = _template().format(source=source, facts=", ".join(quote(c) for c in facts))
    return con.sql(sql).to_df()
