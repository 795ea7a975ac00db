"""The plausibility checks on the IDP totals, recorded in `validation_results` after a load.

The checks are the view `idp_figure_checks` (warehouse/views/09_idp_figure_checks.sql); their
suite is `expectations/idp_totals.json`. Each load of a source records one result per check
over that source's totals, so the failed-expectations artifact and the report show them.
"""

from __future__ import annotations

import json

import duckdb

from warehouse.db import statement
from warehouse.query import named_sql

TABLE = "idp_totals"
EXPECTATION = "unexpected_rows_expectation"


def record_checks(con: duckdb.DuckDBPyConnection, load_run_id: str, source: str) -> int:
    """Insert one validation result per check for `source`; returns how many checks failed."""
    rows = con.execute(named_sql("check_results"), {"source": source}).fetchall()
    failed = 0
    for check, unexpected, checked, examples in rows:
        failed += bool(unexpected)
        details = {
            "element_count": checked,
            "unexpected_count": unexpected,
            "unexpected_percent": round(100.0 * unexpected / checked, 2) if checked else 0.0,
            "partial_unexpected_list": examples,
            "counted_by": "idp_figure_checks",
        }
        con.execute(
            statement("record_check_result"),
            {
                "load_run_id": load_run_id,
                "table": TABLE,
                "expectation": EXPECTATION,
                "column": check,
                "success": not unexpected,
                "unexpected_count": unexpected,
                "details": json.dumps(details),
            },
        )
    return failed
