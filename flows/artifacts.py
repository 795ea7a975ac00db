"""What a pipeline run shows in the Prefect UI: counts, failed expectations, report, Data Docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import artifacts

from flows.progress import say
from flows.settings import Settings
from flows.warehouse_slot import warehouse_slot
from transforms.errors import one_line
from transforms.redaction import redact

# Prefect keeps an artifact's Markdown in its database; the full report stays on disk.
MAX_MARKDOWN = 200_000


@dataclass
class RunSummary:
    """What the warehouse says about one flow run, read under the warehouse slot."""

    counts: list[dict[str, Any]]
    validations: list[dict[str, Any]]
    report: Path | None
    report_error: str | None = None


def summarise(settings: Settings, flow_run_id: str | None, write_report: bool = True) -> RunSummary:
    """Counts and expectation results of the run, and the report, with no writer in between.

    The report redraws only the countries whose pages changed; without `write_report`
    (nothing changed) the report already on disk is the run's report. A report that fails
    does not fail the run: its data is loaded, and the summary carries the report's error.
    """
    from warehouse.db import connect
    from warehouse.load import lock_for
    from warehouse.query import named_sql
    from warehouse.status import rows_as_dicts, run_counts

    if not settings.warehouse.exists():
        return RunSummary([], [], None)
    with warehouse_slot():
        limits = settings.warehouse_limits
        with lock_for(settings.warehouse, limits.lock_wait):
            counts = run_counts(settings.warehouse, flow_run_id, limits)
            with connect(settings.warehouse, read_only=True, limits=limits) as con:
                cursor = con.execute(named_sql("run_validations"), {"flow_run_id": flow_run_id})
                validations = rows_as_dicts(cursor)
        written: Path | None = settings.reports_dir / "index.html"
        error = None
        if write_report or not settings.reports_dir.joinpath("index.html").exists():
            written, error = _report(settings)
        else:
            say("report: not rewritten, nothing new was loaded")
    return RunSummary(counts, validations, written, error)


def _report(settings: Settings) -> tuple[Path | None, str | None]:
    """The report's pages that changed; on an error, the pages already there and the error."""
    from warehouse import report

    say("report: writing")
    try:
        return report.write_report(settings, changed_only=True, progress=say), None
    except Exception as exc:  # whatever breaks the report, the run's data stays loaded
        error = one_line(exc)
        say("report: FAILED, the data is loaded: %s", error)
        old = settings.reports_dir / "index.html"
        return (old if old.exists() else None), error


def publish(settings: Settings, summary: RunSummary, failures: list[str] | None = None) -> None:
    """Every artifact of a run; the Data Docs are built first so the link points at fresh pages.

    `failures`: the lines of a failed run, which every artifact then states first.
    """
    head = failed_heading(failures or [])
    if summary.counts:
        _table(
            key="sitrep-load-counts",
            table=summary.counts,
            description=head + "Rows in, loaded and quarantined per source and table",
        )
    publish_failed_expectations(summary.validations, head)
    if summary.report_error is not None:
        publish_report_error(summary.report_error, head)
    if summary.report is not None:
        publish_report(summary.report, head)
    if summary.validations:
        publish_data_docs(settings, summary.validations, head)


def failed_heading(failures: list[str]) -> str:
    """`This run FAILED: why. ` before an artifact's description; empty for a run that did not."""
    if not failures:
        return ""
    return f"**This run FAILED**: {'; '.join(failures)}.\n\n"


def publish_failed_expectations(validations: list[dict[str, Any]], head: str = "") -> None:
    """A table of the expectations that failed, with a few of the values that broke them."""
    failed = [_failure_row(v) for v in validations if not v["success"]]
    checked = len(validations)
    if failed:
        said = (
            f"{len(failed)} of {checked} expectation results failed; failing rows are quarantined"
        )
    elif head:
        said = f"No expectation failed ({checked} results); the run failed for the reason above"
    else:
        said = f"All {checked} expectation results passed"
    _table(key="sitrep-failed-expectations", table=failed, description=head + said)


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


def publish_report(report: Path, head: str = "") -> None:
    """The situation report as Markdown, and a link to its HTML version when there is one."""
    markdown = report.with_suffix(".md")
    if markdown.exists():
        text = markdown.read_text()
        if len(text) > MAX_MARKDOWN:
            text = text[:MAX_MARKDOWN] + f"\n\n… cut; the full report is {markdown.resolve()}\n"
        _markdown(
            key="sitrep-report",
            markdown=head + text,
            description=head + "The situation report",
        )
    html = report.with_suffix(".html")
    target = html if html.exists() else markdown
    _link(
        key="sitrep-report-html",
        link=target.resolve().as_uri(),
        link_text=target.name,
        description=head + "The situation report on the machine that ran the flow",
    )


def publish_report_error(error: str, head: str = "") -> None:
    """The report's own failure: the data of the run is loaded, the pages are the older ones."""
    _markdown(
        key="sitrep-report-error",
        markdown=(
            f"{head}**The report FAILED**: {error}\n\nThe run's data is loaded; the report "
            "pages are those of an earlier report. Run `sitrep report` to write them again.\n"
        ),
        description=head + "The report of this run failed; its data is loaded",
    )


def publish_data_docs(
    settings: Settings, validations: list[dict[str, Any]], head: str = ""
) -> None:
    """Great Expectations Data Docs of this run's validations under SITREP_HOME/gx_docs."""
    from expectations.data_docs import build_data_docs

    index = build_data_docs(validations, (settings.home / "gx_docs").resolve())
    _link(
        key="sitrep-data-docs",
        link=index.as_uri(),
        link_text="Great Expectations Data Docs",
        description=(
            head + f"All {len(validations)} expectation results of this run, as GX renders them"
        ),
    )


# Every artifact is written through these: Prefect keeps them in its database and shows them
# to anyone with the UI, so each text is redacted here, where it is written.


def _markdown(key: str, markdown: str, description: str) -> None:
    artifacts.create_markdown_artifact(
        key=key, markdown=redact(markdown), description=redact(description)
    )


def _table(key: str, table: list[dict[str, Any]], description: str) -> None:
    rows = [{k: redact(v) if isinstance(v, str) else v for k, v in row.items()} for row in table]
    artifacts.create_table_artifact(key=key, table=rows, description=redact(description))


def _link(key: str, link: str, link_text: str, description: str) -> None:
    artifacts.create_link_artifact(
        key=key, link=redact(link), link_text=redact(link_text), description=redact(description)
    )
