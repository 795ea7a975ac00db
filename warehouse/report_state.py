"""What a report folder holds: a digest per country page, and how the last report ended.

A load redraws only the pages whose digest changed: the country's rows (figures, news), the
data quality of the sources that feed it (quarantined rows, which expectations fail), or what
every page depends on (preferences, citations, templates, the drawing code). Source
freshness and the counts of failing expectations on a kept page are those of when it was drawn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from transforms.redaction import redact
from warehouse.query import named_sql
from warehouse.status import rows_as_dicts

STATE_FILE = ".report-state.json"
SQL = Path(__file__).parent / "report_sql"
log = logging.getLogger(__name__)


@dataclass
class ReportState:
    """The digest each country page was drawn from, and the last report's outcome."""

    countries: dict[str, str] = field(default_factory=dict)
    status: str = "none"
    error: str | None = None
    finished_at: str | None = None
    drawn: list[str] = field(default_factory=list)

    def drawn_now(self, digests: dict[str, str], keep: set[str]) -> None:
        """Pages drawn from these digests; countries no longer in `keep` are forgotten."""
        self.countries = {c: d for c, d in self.countries.items() if c in keep} | digests
        self.drawn = sorted(digests)
        self.status, self.error = "completed", None
        self.finished_at = datetime.now(UTC).isoformat(timespec="microseconds")

    def failed(self, exc: BaseException) -> None:
        """The report stopped on `exc`; the pages it had not drawn keep their old digests."""
        self.status = "failed"
        self.error = redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])
        self.finished_at = datetime.now(UTC).isoformat(timespec="microseconds")


def read(folder: Path) -> ReportState:
    """The folder's state; an empty one when there is none or it is unreadable."""
    try:
        data = json.loads((folder / STATE_FILE).read_text())
        return ReportState(**data)
    except (OSError, ValueError, TypeError) as exc:
        log.debug("no report state in %s: %s", folder, exc)
        return ReportState()


def write(folder: Path, state: ReportState) -> None:
    """Replace the state file whole."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{STATE_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(state), indent=1) + "\n")
    tmp.replace(folder / STATE_FILE)


def ended_since(folder: Path, started: float) -> ReportState | None:
    """The folder's state when a report ended there (written or failed) after `started`
    (epoch seconds); None when none did, so the pages are those of an earlier report."""
    state = read(folder)
    if state.status == "none" or not state.finished_at:
        return None
    if datetime.fromisoformat(state.finished_at).timestamp() < started:
        return None
    return state


def country_digests(
    con: duckdb.DuckDBPyConnection, codes: list[str], inputs: str
) -> dict[str, str]:
    """Per country: a digest of its rows, of the data quality of its sources, and `inputs`."""
    data = {
        iso3: f"{n}:{digest}"
        for iso3, n, digest in con.execute((SQL / "country_digests.sql").read_text()).fetchall()
    }
    quality = _source_quality(con)
    feeds: dict[str, list[str]] = {}
    for iso3, source in con.execute(
        "SELECT DISTINCT iso3, source FROM country_sources ORDER BY iso3, source"
    ).fetchall():
        feeds.setdefault(iso3, []).append(source)
    out = {}
    for iso3 in codes:
        parts = [inputs, data.get(iso3, "")] + [quality.get(s, "") for s in feeds.get(iso3, [])]
        out[iso3] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return out


def _source_quality(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per source: a digest of its quarantined rows (reason and count) and of which
    expectations fail in its latest run. Counts of whole-table expectations drift with every
    load of the source, so they are left out: a page redraws when an expectation starts or
    stops failing, not for each new count."""
    found: dict[str, list[Any]] = {}
    for row in rows_as_dicts(con.execute(named_sql("quarantined"), {"iso3": None})):
        found.setdefault(row["source"], []).append([row["table"], row["reason"], row["rows"]])
    for row in rows_as_dicts(con.execute(named_sql("failed_expectations"), {"iso3": None})):
        found.setdefault(row["source"], []).append(
            [row["table"], row["expectation"], row["column"]]
        )
    return {
        source: hashlib.sha256(json.dumps(sorted(rows, key=str), default=str).encode()).hexdigest()
        for source, rows in found.items()
    }
