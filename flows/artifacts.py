"""What a pipeline run shows in the Prefect UI: counts, failed expectations, report, Data Docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from flows.settings import Settings
from flows.warehouse_slot import warehouse_slot

# Prefect keeps an artifact's Markdown in its database; the full report stays on disk.
MAX_MARKDOWN = 200_000


@dataclass
class RunSummary:
    """What the warehouse says about one flow run, read under the warehouse slot."""

    counts: list[dict[str, Any]]
    validations: list[dict[str, Any]]
    report: Path | None


def summarise(settings: Settings, flow_run_id: str | None, write_report: bool = True) -> RunSummary:
    """Counts and expectation results of the run, and the report, with no writer in between.

    Without `write_report` (nothing changed) the report already on disk is the run's report.
    """
    from warehouse import report
    from warehouse.db import connect
    from warehouse.load import lock_for
    from warehouse.query import named_sql
    from warehouse.status import rows_as_dicts, run_counts

    if not settings.warehouse.exists():
        return RunSummary([], [], None)
    with warehouse_slot():
        with lock_for(settings.warehouse):
            counts = run_counts(settings.warehouse, flow_run_id)
            with connect(settings.warehouse, read_only=True) as con:
                cursor = con.execute(named_sql("run_validations"), {"flow_run_id": flow_run_id})
                validations = rows_as_dicts(cursor)
        written = settings.reports_dir / "index.html"
        if write_report or not written.exists():
            written = report.write_report(settings)  # takes the file lock itself
    return RunSummary(counts, validations, written)


def publish(settings: Settings, summary: RunSummary) -> None:
    """Every artifact of a run; the Data Docs are built first so the link points at fresh pages."""
    if summary.counts:
        create_table_artifact(
            key="sitrep-load-counts",
            table=summary.counts,
            description="Rows in, loaded and quarantined per source and table",
        )
    publish_failed_expectations(summary.validations)
    if summary.report is not None:
        publish_report(summary.report)
    if summary.validations:
        publish_data_docs(settings, summary.validations)


def publish_failed_expectations(validations: list[dict[str, Any]]) -> None:
    """A table of the expectations that failed, with a few of the values that broke them."""
    failed = [_failure_row(v) for v in validations if not v["success"]]
    checked = len(validations)
    create_table_artifact(
        key="sitrep-failed-expectations",
        table=failed,
        description=(
            f"{len(failed)} of {checked} expectation results failed; failing rows are quarantined"
            if failed
            else f"All {checked} expectation results passed"
        ),
    )


def _failure_row(v: dict[str, Any]) -> dict[str, Any]:
    details = json.loads(v["details"] or "{}")
    examples = details.get("partial_unexpected_list") or []
    return {
        "source": v["source"],
        "table": v["table"],
        "expectation": v["expectation"],
        "column": v["column"],
        "unexpected_count": v["unexpected_count"],
        "unexpected_percent": details.get("unexpected_percent"),
        "examples": ", ".join(map(str, examples[:5])),
    }


def publish_report(report: Path) -> None:
    """The situation report as Markdown, and a link to its HTML version when there is one."""
    markdown = report.with_suffix(".md")
    if markdown.exists():
        text = markdown.read_text()
        if len(text) > MAX_MARKDOWN:
            text = text[:MAX_MARKDOWN] + f"\n\n… cut; the full report is {markdown.resolve()}\n"
        create_markdown_artifact(
            key="sitrep-report", markdown=text, description="The situation report"
        )
    html = report.with_suffix(".html")
    target = html if html.exists() else markdown
    create_link_artifact(
        key="sitrep-report-html",
        link=target.resolve().as_uri(),
        link_text=target.name,
        description="The situation report on the machine that ran the flow",
    )


def publish_data_docs(settings: Settings, validations: list[dict[str, Any]]) -> None:
    """Great Expectations Data Docs of this run's validations under SITREP_HOME/gx_docs."""
    from expectations.data_docs import build_data_docs

    index = build_data_docs(validations, (settings.home / "gx_docs").resolve())
    create_link_artifact(
        key="sitrep-data-docs",
        link=index.as_uri(),
        link_text="Great Expectations Data Docs",
        description=f"All {len(validations)} expectation results of this run, as GX renders them",
    )
