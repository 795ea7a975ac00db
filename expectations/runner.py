"""Run a table's expectation suite: GX records every result, our own masks pick the failing rows."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

SUITES = Path(__file__).parent
MASKED = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_be_between",
    "expect_column_value_lengths_to_be_between",
}


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
    """Results of a suite on a frame, and per row the first reason it failed (NA when it passed)."""

    results: list[ExpectationResult]
    reasons: pd.Series
    reject_rate_limit: float


@cache
def load_suite(table: str) -> dict[str, Any]:
    """The suite JSON of a table (`expectations/<table>.json`)."""
    path = SUITES / f"{table}.json"
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite for table {table!r} ({path})")
    suite: dict[str, Any] = json.loads(path.read_text())
    return suite


def validate(df: pd.DataFrame, table: str) -> Validation:
    """Apply `expectations/<table>.json` to df."""
    suite = load_suite(table)
    reasons = pd.Series(pd.NA, index=df.index, dtype="object")
    for exp in suite["expectations"]:
        mask = failing_rows(df, exp["type"], exp["kwargs"]) & reasons.isna()
        if mask.any():
            reasons[mask] = describe(exp) + ": got " + _shown(df.loc[mask], exp["kwargs"])
    results = run_gx(df, suite) if len(df) else _empty_results(suite)
    limit = float(suite.get("meta", {}).get("reject_rate_limit", 1.0))
    return Validation(results=results, reasons=reasons, reject_rate_limit=limit)


def failing_rows(df: pd.DataFrame, kind: str, kw: dict[str, Any]) -> pd.Series:
    """Rows that break one expectation, with GX's semantics (nulls pass all but not_null)."""
    if kind == "expect_compound_columns_to_be_unique":
        return df.duplicated(subset=kw["column_list"], keep="first")
    if kind not in MASKED:
        raise ValueError(f"no row mask for expectation {kind!r}; add one in expectations/runner.py")
    col = df[kw["column"]]
    present = col.notna()
    if kind == "expect_column_values_to_not_be_null":
        return ~present
    if kind == "expect_column_values_to_be_unique":
        return present & col.duplicated(keep="first")
    if kind == "expect_column_values_to_be_in_set":
        return present & ~col.isin(kw["value_set"])
    if kind == "expect_column_values_to_match_regex":
        return present & ~col.astype("string").str.match(kw["regex"]).fillna(False).astype(bool)
    if kind == "expect_column_values_to_be_between":
        return present & _outside(pd.to_numeric(col, errors="coerce"), kw)
    if kind == "expect_column_value_lengths_to_be_between":
        return present & _outside(col.astype("string").str.len(), kw)
    raise AssertionError(kind)  # pragma: no cover - MASKED lists every branch above


def describe(exp: dict[str, Any]) -> str:
    """A short human reading of an expectation, used as the quarantine reason."""
    kw = exp["kwargs"]
    target = kw.get("column") or "+".join(kw.get("column_list", []))
    short = exp["type"].removeprefix("expect_column_values_to_").removeprefix("expect_")
    args = {k: v for k, v in kw.items() if k not in ("column", "column_list", "value_set")}
    shown = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{target} {short}" + (f" ({shown})" if shown else "")


def _outside(values: pd.Series, kw: dict[str, Any]) -> pd.Series:
    low, high = kw.get("min_value"), kw.get("max_value")
    out = pd.Series(False, index=values.index)
    if low is not None:
        out |= values < low
    if high is not None:
        out |= values > high
    return out.fillna(True).astype(bool)


def _shown(rows: pd.DataFrame, kw: dict[str, Any]) -> pd.Series:
    cols = kw.get("column_list") or [kw["column"]]
    shown = rows[cols[0]].astype("string").fillna("null")
    for col in cols[1:]:
        shown = shown + "|" + rows[col].astype("string").fillna("null")
    return shown.str.slice(0, 80)


def _empty_results(suite: dict[str, Any]) -> list[ExpectationResult]:
    return [ExpectationResult(e["type"], _column(e), True, 0, "{}") for e in suite["expectations"]]


def _column(exp: dict[str, Any]) -> str:
    kw = exp["kwargs"]
    return str(kw.get("column") or ",".join(kw.get("column_list", [])))


def run_gx(df: pd.DataFrame, suite: dict[str, Any]) -> list[ExpectationResult]:
    """Validate df with Great Expectations in an ephemeral context; one result per expectation."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = _context()
    name = suite["name"]
    batch_def = _batch_definition(context, name)
    gx_suite = gx.ExpectationSuite(name=f"{name}-run")
    for exp in suite["expectations"]:
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"])
        )
    batch = batch_def.get_batch(batch_parameters={"dataframe": _gx_frame(df)})
    outcome = batch.validate(gx_suite, result_format="SUMMARY")
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


@cache
def _context() -> Any:
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
