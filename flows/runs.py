"""A source run's record: its outcome, how a failed run is recorded, what a failure leaves.

The flow (`flows.pipeline`) calls these around fetch → stage → load; none of them needs
Prefect, so the failure semantics can be read (and tested) in one place:

- a run that committed (`landed`) is loaded, whatever failed after its commit;
- a run that failed before committing is recorded `failed`, when the disk lets it be;
- a full disk drops the run's lake and quarantine files and says where to free space;
- a failed run that still loads rows says so (`kept_note`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flows import lake
from flows.http import redact
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, get_kind
from flows.warehouse_slot import warehouse_slot
from transforms.errors import SitrepError, one_line
from warehouse.load import LoadRequest, TableLoad, record_run
from warehouse.status import run_status


class DiskFullError(SitrepError, OSError):
    """The disk filled up during a source run; nothing of that run is in the warehouse."""


class PipelineFailedError(SitrepError, RuntimeError):
    """At least one source failed or passed its reject-rate limit: one line per failure.

    `committed`: the source's load committed nevertheless (its valid rows are loaded).
    """

    def __init__(self, lines: list[str], committed: bool = False):
        self.lines = [one_line(line) for line in lines]
        self.committed = committed
        super().__init__("; ".join(self.lines))

    def __reduce__(self) -> tuple[type, tuple[list[str], bool]]:
        return (PipelineFailedError, (self.lines, self.committed))  # to and from Dask workers


@dataclass
class SourceOutcome:
    """What one source run did: its counts per table, status and the errors met."""

    source: str
    kind: str
    load_run_id: str
    status: str = "loaded"
    errors: list[str] = field(default_factory=list)
    tables: list[TableLoad] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    watermark: str | None = None
    fingerprint: str | None = None
    unreadable: int = 0


def new_request(source: SourceConfig, pipeline_run_id: str | None) -> LoadRequest:
    """A new load run of the source, with nothing to load yet."""
    started = datetime.now(UTC)
    run_id = f"{source.name}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    return LoadRequest(run_id, source.name, source.kind, started, [], [], pipeline_run_id)


def load_request(
    outcome: SourceOutcome, kind: Kind, started: datetime, pipeline_run_id: str | None
) -> LoadRequest:
    """What the load commits for a staged run (a snapshot kind replaces its locations' rows);
    a failed run that still loads rows says so among its errors."""
    note = kept_note(outcome)
    if note:
        outcome.errors.append(note)
    return LoadRequest(
        outcome.load_run_id,
        outcome.source,
        kind.name,
        started,
        outcome.tables,
        outcome.locations if kind.snapshot else [],
        pipeline_run_id,
        watermark=outcome.watermark,
        fingerprint=outcome.fingerprint,
    )


def kept_note(outcome: SourceOutcome) -> str | None:
    """What a failed run still loads, said where `sitrep status` and the run's error show it.

    A run is not all-or-nothing per source: an unreadable file loads nothing, the rows of the
    source's other files are loaded (bad rows to quarantine as always), and the run is failed.
    """
    loaded = sum(t.rows_loaded for t in outcome.tables)
    if outcome.status != "failed" or not loaded:
        return None
    files = len(outcome.locations)
    note = f"failed, but kept {loaded} rows from {files - outcome.unreadable} of {files} files"
    if outcome.unreadable:
        note += f" (the {outcome.unreadable} unreadable loaded nothing)"
    return note


def landed(settings: Settings, run_id: str) -> str | None:
    """The status a run committed with, if it did (None also when the warehouse is unreadable)."""
    try:
        return run_status(settings.warehouse, run_id, settings.warehouse_limits)
    except Exception:
        return None


def record_failure(settings: Settings, request: LoadRequest, exc: Exception) -> str | None:
    """Record the failed run; when even that fails (a full disk), the reason, to be said."""
    error = redact(one_line(exc))
    try:
        with warehouse_slot():
            record_run(settings.warehouse, request, "failed", error, settings.warehouse_limits)
    except Exception as recording:
        return one_line(recording)
    return None


def disk_full_error(source: SourceConfig, run_id: str, home: str, exc: Exception) -> DiskFullError:
    """Drop the run's lake and quarantine files (a full disk needs the room) and say what to do."""
    settings = Settings(home=Path(home))
    for root in (settings.lake_root, settings.quarantine_root):
        for table in get_kind(source.kind).tables:
            lake.drop_partition(
                lake.partition_path(root, table, source.name, run_id), settings.storage_options()
            )
    return DiskFullError(
        f"disk full ({one_line(exc)}); nothing of this run was loaded: "
        f"free space where {home} is and run again"
    )
