"""Run a table's expectation suite: DuckDB counts and picks failing rows, GX adjudicates a sample.

The suites are Great Expectations JSON and stay the contract. On a table of any size one
DuckDB pass (`expectations/pushdown.py`) gives, per expectation, the unexpected count GX
would report and per row the first reason it fails. GX itself then runs the suite on a
bounded sample (every failing row up to a cap, then the first rows) and its counts there
must agree with the pass, so SQL and GX cannot drift apart unnoticed. Tables no larger than
the sample are validated by GX whole, as before.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from expectations import pushdown

SUITES = Path(__file__).parent
# Rows GX validates itself per run: failing rows first (up to half), then the first rows.
GX_SAMPLE_ROWS = 10_000
GROUPED = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


class EngineMismatchError(RuntimeError):
    """GX and the SQL pass disagree on a sample: a predicate in pushdown.json is wrong."""


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's outcome on one batch, as stored in `validation_results`."""

    expectation: str
    column: str
    success: bool
    unexpected_count: int
    details: str


@dataclass
class Validation:
    """Results of a suite on a relation, and its failing rows (`row_no`: their `_row`, `reason`)."""

    results: list[ExpectationResult]
    failures: pd.DataFrame
    rows: int
    reject_rate_limit: float


@cache
def load_suite(table: str) -> dict[str, Any]:
    """The suite JSON of a table (`expectations/<table>.json`)."""
    path = SUITES / f"{table}.json"
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite for table {table!r} ({path})")
    suite: dict[str, Any] = json.loads(path.read_text())
    return suite


def validate_relation(con: duckdb.DuckDBPyConnection, source: str, table: str) -> Validation:
    """Apply `expectations/<table>.json` to `source`, a relation of the connection with a 0-based
    `_row` column (a view over parquet or Arrow batches): one streaming SQL pass, then GX on a
    bounded sample. A column the suite reads and the relation lacks is all null."""
    suite = load_suite(table)
    prewarm()
    names = pushdown.columns(pushdown.checks(suite))
    present = {r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    nulls = "".join(f", NULL AS {pushdown.quote(c)}" for c in names if c not in present)
    relation = f"(SELECT *{nulls} FROM {source})"
    found = pushdown.scan(con, relation, suite)
    failing = found.failing["_row"].to_numpy()[: GX_SAMPLE_ROWS // 2]
    head = con.sql(
        f"SELECT _row FROM {relation} ORDER BY _row LIMIT {GX_SAMPLE_ROWS - len(failing)}"
    ).fetchnumpy()["_row"]
    rows = np.union1d(failing, head).astype("int64")
    columns = ", ".join(pushdown.quote(c) for c in names)
    sample = con.sql(
        f"SELECT {columns} FROM {relation} WHERE _row IN (SELECT unnest($rows)) ORDER BY _row",
        params={"rows": rows.tolist()},
    ).to_arrow_table()
    failed = found.failing.filter(pc.is_valid(found.failing["reason"]))
    failures = pd.DataFrame(
        {"row_no": failed["_row"].to_numpy(), "reason": failed["reason"].to_pylist()}
    )
    results = (
        adjudicate(suite, found, rows, sample.to_pandas())
        if found.element_count
        else _empty_results(suite)
    )
    return Validation(results, failures, found.element_count, reject_rate_limit(suite))


def reject_rate_limit(suite: dict[str, Any]) -> float:
    """The share of rows a table may lose to quarantine before its run fails."""
    return float(suite.get("meta", {}).get("reject_rate_limit", 1.0))


def adjudicate(
    suite: dict[str, Any], found: pushdown.Scan, rows: np.ndarray, sample: pd.DataFrame
) -> list[ExpectationResult]:
    """GX on the sample must count what the SQL pass flagged there; full counts from the pass."""
    by_key = {(r.expectation, r.column): r for r in run_gx(sample.reset_index(drop=True), suite)}
    in_sample = pc.is_in(found.failing["_row"], value_set=pa.array(rows)).to_numpy(
        zero_copy_only=False
    )
    results = []
    for n, exp in enumerate(suite["expectations"]):
        gx_result = by_key[(exp["type"], _column(exp))]
        flagged = found.failing[f"c_{n}"].to_numpy(zero_copy_only=False)
        expected = int((flagged & in_sample).sum())
        complete = not (flagged & ~in_sample).any()
        if gx_result.unexpected_count != expected and (complete or exp["type"] not in GROUPED):
            raise EngineMismatchError(
                f"{suite['name']}: {pushdown.reason_prefix(exp)}GX counts "
                f"{gx_result.unexpected_count} unexpected rows in a sample, the SQL pass {expected}"
            )
        results.append(_full_result(exp, found, n, gx_result, len(rows)))
    first_rule = len(suite["expectations"])
    for n, rule in enumerate(suite.get("rules", []), start=first_rule):
        results.append(_rule_result(rule, found, n))
    return results


def _rule_result(rule: dict[str, Any], found: pushdown.Scan, n: int) -> ExpectationResult:
    """A sitrep rule's result on the whole table: counted by the SQL pass alone (GX has no
    such expectation to adjudicate)."""
    count = found.unexpected_count(n)
    present = found.present[n]
    details: dict[str, Any] = {
        "element_count": found.element_count,
        "unexpected_percent": 100.0 * count / present if present else None,
        "partial_unexpected_list": [],
        "counted_by": "duckdb",
    }
    return ExpectationResult(rule["type"], _column(rule), count == 0, count, json.dumps(details))


def _full_result(
    exp: dict[str, Any], found: pushdown.Scan, n: int, gx_result: ExpectationResult, checked: int
) -> ExpectationResult:
    """An expectation's result on the whole table, with GX's examples from the sample."""
    count = found.unexpected_count(n)
    present = found.present[n]
    percent = 100.0 * count / present if present else None
    mostly = exp["kwargs"].get("mostly")
    success = count == 0 if mostly is None else (percent or 0.0) <= 100.0 * (1 - mostly)
    details = {
        "element_count": found.element_count,
        "unexpected_percent": percent,
        "partial_unexpected_list": json.loads(gx_result.details).get("partial_unexpected_list"),
        "counted_by": "duckdb" if checked < found.element_count else "great_expectations",
        "gx_checked_rows": checked,
    }
    return ExpectationResult(exp["type"], _column(exp), success, count, json.dumps(details))


def _empty_results(suite: dict[str, Any]) -> list[ExpectationResult]:
    return [ExpectationResult(e["type"], _column(e), True, 0, "{}") for e in pushdown.checks(suite)]


def _column(exp: dict[str, Any]) -> str:
    kw = exp["kwargs"]
    return str(kw.get("column") or ",".join(kw.get("column_list", [])))


def run_gx(df: pd.DataFrame, suite: dict[str, Any]) -> list[ExpectationResult]:
    """Validate df with Great Expectations in an ephemeral context; one result per expectation."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = _warm_context()
    name = suite["name"]
    batch_def = _batch_definition(context, name)
    gx_suite = gx.ExpectationSuite(name=f"{name}-run")
    for exp in suite["expectations"]:
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"])
        )
    batch = batch_def.get_batch(batch_parameters={"dataframe": _gx_frame(df)})
    outcome = batch.validate(gx_suite, result_format="BASIC")
    return [_result(r) for r in outcome.results]


def _gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """GX's pandas engine wants numpy-backed object columns, not Arrow strings."""
    return df.astype({c: "object" for c in df.columns if str(df[c].dtype) in ("string", "str")})


def _result(r: Any) -> ExpectationResult:
    cfg = r.expectation_config
    res = r.result or {}
    kw = cfg.kwargs
    column = str(kw.get("column") or ",".join(kw.get("column_list", [])))
    details = {k: v for k, v in res.items() if k in ("element_count", "unexpected_percent")}
    details["partial_unexpected_list"] = [str(v) for v in res.get("partial_unexpected_list", [])][
        :5
    ]
    return ExpectationResult(
        expectation=cfg.type,
        column=column,
        success=bool(r.success),
        unexpected_count=int(res.get("unexpected_count") or 0),
        details=json.dumps(details, default=str),
    )


_warming: list[threading.Thread] = []


def prewarm() -> None:
    """Import GX and build its context on a background thread (about 2 s), once per process."""
    if not _warming:
        thread = threading.Thread(target=_context, name="gx-prewarm", daemon=True)
        _warming.append(thread)
        thread.start()


def _warm_context() -> Any:
    for thread in _warming:
        thread.join()
    return _context()


@cache
def _context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas("sitrep")
    return context


@cache
def _batch_definition(context: Any, table: str) -> Any:
    asset = context.data_sources.get("sitrep").add_dataframe_asset(name=table)
    return asset.add_batch_definition_whole_dataframe("all")
