"""An expectation suite as DuckDB SQL: one pass finds failing rows with GX's counting semantics.

Great Expectations' pandas engine needs the whole table as a pandas frame (about 1.25 GB and
2.6 s for a million displacement rows); the same checks as one DuckDB query over Arrow or
parquet take a fraction of that and stream. The predicates live in `pushdown.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

HERE = Path(__file__).parent


class UnsupportedExpectationError(ValueError):
    """An expectation type with no SQL predicate in `expectations/pushdown.json`."""


@dataclass(frozen=True)
class Scan:
    """The suite's failing rows (`_row`, c_N, q_N, reason) and per expectation its row counts."""

    failing: pa.Table
    element_count: int
    present: list[int]

    def unexpected_count(self, n: int) -> int:
        """Rows Great Expectations counts as unexpected for expectation n."""
        return int(self.failing[f"c_{n}"].to_numpy(zero_copy_only=False).sum())


@cache
def predicates() -> dict[str, dict[str, Any]]:
    """Expectation or rule type -> SQL templates (`counted`, `quarantined`, optional `value`,
    `grouped`; a rule's `reason` and the columns it `reads`)."""
    data: dict[str, Any] = json.loads((HERE / "pushdown.json").read_text())
    return {k: v for k, v in data.items() if k != "about"}


def checks(suite: dict[str, Any]) -> list[dict[str, Any]]:
    """A suite's expectations, then its `rules`: sitrep's own row checks that Great Expectations
    has no type for (a date no later than the row's retrieval), run by this pass alone."""
    return [*suite["expectations"], *suite.get("rules", [])]


@cache
def _template(name: str) -> str:
    return (HERE / "sql" / f"{name}.sql").read_text().strip()


def scan(con: duckdb.DuckDBPyConnection, source: str, suite: dict[str, Any]) -> Scan:
    """Run the suite over `source` (a relation with a `_row` column) in DuckDB; dates are
    compared as UTC days."""
    exps = checks(suite)
    con.execute("SET TimeZone = 'UTC'")
    failing = con.sql(failing_rows_sql(source, exps)).to_arrow_table()
    counts = con.sql(present_counts_sql(source, exps)).fetchall()[0]
    return Scan(failing=failing, element_count=int(counts[0]), present=[int(c) for c in counts[1:]])


def failing_rows_sql(source: str, exps: list[dict[str, Any]]) -> str:
    """The one-pass query: flags per expectation and the first reason, failing rows only."""
    flags, reasons, duplicates, joins = [], [], [], []
    for n, exp in enumerate(exps):
        counted, quarantined = expectation_sql(exp, n)
        flags += [f"({counted}) AS c_{n}", f"({quarantined}) AS q_{n}"]
        reasons.append(f"WHEN q_{n} THEN {reason_sql(exp)}")
        if predicates()[exp["type"]].get("grouped"):
            duplicates.append(",\n" + duplicates_sql(exp, n))
            joins.append(f"\n    LEFT JOIN d_{n} ON {_same_key(exp, n)}")
    names = [f"c_{n}, q_{n}" for n in range(len(exps))]
    return _template("failing_rows").format(
        source=source,
        columns=", ".join(quote(c) for c in columns(exps)),
        duplicates="".join(duplicates),
        joins="".join(joins),
        flags=", ".join(flags),
        flag_names=", ".join(names),
        reasons=" ".join(reasons),
        any_flag=" OR ".join(f"c_{n} OR q_{n}" for n in range(len(exps))),
    )


def reason_sql(exp: dict[str, Any]) -> str:
    """SQL for the quarantine reason of a row failing `exp`: the rule's own text, or the
    expectation's reading and the value found."""
    template = predicates()[exp["type"]].get("reason")
    if template is None:
        return f"{literal(reason_prefix(exp))} || left({shown(exp)}, 80)"
    return str(template).format(**_placeholders(exp["kwargs"]), name=exp["kwargs"]["column"])


def _keys(exp: dict[str, Any]) -> list[str]:
    kw = exp["kwargs"]
    return list(kw.get("column_list") or [kw["column"]])


def duplicates_sql(exp: dict[str, Any], n: int) -> str:
    """CTE d_n: each key of a uniqueness expectation seen more than once, and its first row.

    GX skips rows whose key columns are all null, so they are never duplicates here either.
    """
    keys = _keys(exp)
    return _template("duplicates").format(
        n=n,
        keys=", ".join(f"{quote(c)} AS k_{i}" for i, c in enumerate(keys)),
        present=_any_present(keys),
    )


def _same_key(exp: dict[str, Any], n: int) -> str:
    """Join condition of a row to its d_n entry (nulls equal, as in pandas' duplicated)."""
    keys = _keys(exp)
    return " AND ".join(
        f"src.{quote(c)} IS NOT DISTINCT FROM d_{n}.k_{i}" for i, c in enumerate(keys)
    )


def present_counts_sql(source: str, exps: list[dict[str, Any]]) -> str:
    """Per expectation the rows GX divides by for unexpected_percent."""
    present = []
    for n, exp in enumerate(exps):
        kw = exp["kwargs"]
        if exp["type"] == "expect_column_values_to_not_be_null":
            present.append(f"count(*) AS p_{n}")
        elif "column_list" in kw:
            present.append(f"count(*) FILTER (WHERE {_any_present(kw['column_list'])}) AS p_{n}")
        else:
            present.append(f"count({quote(kw['column'])}) AS p_{n}")
    return _template("present_counts").format(source=source, present=", ".join(present))


def expectation_sql(exp: dict[str, Any], n: int = 0) -> tuple[str, str]:
    """(counted, quarantined) SQL predicates of expectation n of a suite."""
    templates = predicates().get(exp["type"])
    if templates is None:
        raise UnsupportedExpectationError(
            f"no row mask for expectation {exp['type']!r}; add one in expectations/pushdown.json"
        )
    kw = exp["kwargs"]
    values = _placeholders(kw) | {"dup": f"d_{n}"}
    if "value" in templates:
        values["outside"] = _outside(templates["value"].format(**values), kw)
    return templates["counted"].format(**values), templates["quarantined"].format(**values)


def _placeholders(kw: dict[str, Any]) -> dict[str, str]:
    values = {"col": quote(kw["column"])} if "column" in kw else {}
    if "value_set" in kw:
        values["values"] = ", ".join(literal(v) for v in kw["value_set"])
    if "regex" in kw:
        values["regex"] = literal(kw["regex"])
    if "days" in kw:
        values["days"] = str(int(kw["days"]))
    return values


def _any_present(cols: list[str]) -> str:
    return "(" + " OR ".join(f"{quote(c)} IS NOT NULL" for c in cols) + ")"


def _outside(value: str, kw: dict[str, Any]) -> str:
    """`value` outside [min_value, max_value] (GX's inclusive bounds; a missing bound is open)."""
    if kw.get("strict_min") or kw.get("strict_max"):
        raise UnsupportedExpectationError("strict bounds have no SQL predicate yet")
    tests = []
    if kw.get("min_value") is not None:
        tests.append(f"{value} < {literal(kw['min_value'])}")
    if kw.get("max_value") is not None:
        tests.append(f"{value} > {literal(kw['max_value'])}")
    return " OR ".join(tests) or "FALSE"


def columns(exps: list[dict[str, Any]]) -> list[str]:
    """Every column the suite reads, in first-use order."""
    names: dict[str, None] = {}
    for exp in exps:
        kw = exp["kwargs"]
        reads = predicates().get(exp["type"], {}).get("reads", [])
        for c in [*(kw.get("column_list") or [kw["column"]]), *reads]:
            names[c] = None
    return list(names)


def shown(exp: dict[str, Any]) -> str:
    """SQL for the value a reason quotes: the column, or the key columns joined by '|'."""
    kw = exp["kwargs"]
    cols = kw.get("column_list") or [kw["column"]]
    parts = [f"coalesce(CAST({quote(c)} AS VARCHAR), 'null')" for c in cols]
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


def reason_prefix(exp: dict[str, Any]) -> str:
    """A short human reading of an expectation, as quarantine reasons start."""
    kw = exp["kwargs"]
    target = kw.get("column") or "+".join(kw.get("column_list", []))
    short = exp["type"].removeprefix("expect_column_values_to_").removeprefix("expect_")
    args = {k: v for k, v in kw.items() if k not in ("column", "column_list", "value_set")}
    detail = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{target} {short}" + (f" ({detail})" if detail else "") + ": got "


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a suite value (text, number or boolean)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
