"""Great Expectations Data Docs for the stored validation results of a run, as static HTML."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from expectations.runner import load_suite

SITE = "sitrep"


def build_data_docs(rows: Iterable[dict[str, Any]], site_dir: Path) -> Path:
    """Render one validation page per (source run, table) and the site index; returns index.html.

    `rows` are `validation_results` rows joined with their load run (the `run_validations`
    query); the suite JSON supplies each expectation's full kwargs.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(site_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    ordered = sorted(
        (r for r in rows if not _is_rule(r)), key=lambda r: (r["load_run_id"], r["table"])
    )
    for (_, table), group in groupby(ordered, key=lambda r: (r["load_run_id"], r["table"])):
        _store(context, table, list(group))
    context.build_data_docs(site_names=[SITE])
    return site_dir / "index.html"


def _is_rule(row: dict[str, Any]) -> bool:
    """A result of one of sitrep's own rules: GX has no expectation type to render it with (it
    stays in `validation_results`)."""
    rules = load_suite(row["table"]).get("rules", [])
    return any(r["type"] == row["expectation"] for r in rules)


def _store(context: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """One suite validation result, rebuilt from stored rows, into the context's store."""
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    first = rows[0]
    run_id = RunIdentifier(run_name=first["load_run_id"], run_time=_aware(first["started_at"]))
    results = [_expectation_result(table, r) for r in rows]
    passed = sum(r.success for r in results)
    validation = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=table,
        meta={
            "run_id": run_id,
            "active_batch_definition": {
                "datasource_name": first["source"],
                "data_asset_name": table,
                "batch_identifiers": {"load_run_id": first["load_run_id"]},
            },
            "batch_spec": {"data_asset_name": f"{first['source']} / {table}"},
        },
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else 100.0,
        },
    )
    key = ValidationResultIdentifier(
        ExpectationSuiteIdentifier(name=table), run_id, first["source"]
    )
    context.validation_results_store.set(key, validation)


def _expectation_result(table: str, row: dict[str, Any]) -> Any:
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    details = json.loads(row["details"] or "{}")
    result = {
        "element_count": details.get("element_count", 0),
        "unexpected_count": row["unexpected_count"],
        "unexpected_percent": details.get("unexpected_percent"),
        "partial_unexpected_list": details.get("partial_unexpected_list", []),
    }
    config = ExpectationConfiguration(type=row["expectation"], kwargs=_kwargs(table, row))
    return ExpectationValidationResult(
        success=bool(row["success"]), expectation_config=config, result=result
    )


def _kwargs(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The expectation's kwargs from its suite, matched by type and column."""
    for exp in load_suite(table)["expectations"]:
        kw = exp["kwargs"]
        column = kw.get("column") or ",".join(kw.get("column_list", []))
        if exp["type"] == row["expectation"] and column == row["column"]:
            return dict(kw)
    return {"column": row["column"]}


def _aware(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
