"""A source run's record: its outcome, how a failed run is recorded, what a failure leaves.

The flow (`flows.pipeline`) calls these around fetch → stage → load; none of them needs
Prefect, so the failure semantics can be read (and tested) in one place:

- a run that committed (`landed`) is loaded, whatever failed after its commit;
- a run that failed before committing is recorded `failed`, when the disk lets it be;
- a full disk drops the run's lake and quarantine files and says where to free space;
- a failed run that still loads rows says so (`kept_note`);
- a run whose inputs are those of the source's last load is recorded `unchanged` and goes
  no further (`fingerprint_to_load`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows import lake
from flows.fetch import RawFile
from flows.incremental import input_fingerprint
from flows.progress import rows, say
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, get_kind
from flows.warehouse_slot import warehouse_slot
from transforms.errors import SitrepError, disk_full, one_line
from transforms.redaction import redact
from warehouse.load import LoadRequest, TableLoad, load, record_run
from warehouse.status import run_status
from warehouse.watermarks import last_inputs


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


def configured(settings: Settings, only: list[str] | None) -> list[SourceConfig]:
    """The configured sources, or those named in `only` (every name must be configured)."""
    sources = settings.sources()
    unknown = sorted(set(only or []) - {s.name for s in sources})
    if unknown:
        raise PipelineFailedError([f"no configured source named {', '.join(unknown)}"])
    return [s for s in sources if not only or s.name in only]


def fingerprint_to_load(
    source: SourceConfig,
    raws: list[RawFile],
    settings: Settings,
    request: LoadRequest,
    force: bool,
    note: Callable[[str], None],
) -> str | None:
    """The inputs' fingerprint when they need loading; None (the run recorded `unchanged`,
    and `note`d) when the fetch brought nothing or the inputs of the last successful load."""
    fingerprint = input_fingerprint(source, raws)
    warehouse, limits = settings.warehouse, settings.warehouse_limits
    if force or (raws and last_inputs(warehouse, source.name, limits) != fingerprint):
        return fingerprint
    with warehouse_slot():
        record_run(warehouse, request, "unchanged", None, limits)
    note(f"{source.name}: inputs unchanged since its last load")
    say("%s: unchanged since its last load, not loaded again", source.name)
    return None


def commit(
    outcome: SourceOutcome, settings: Settings, started: datetime, pipeline_run_id: str | None
) -> None:
    """The staged run into the warehouse, in one transaction (one writer at a time)."""
    request = load_request(outcome, get_kind(outcome.kind), started, pipeline_run_id)
    with warehouse_slot():
        load(
            settings.warehouse,
            request,
            status=outcome.status,
            error="; ".join(one_line(e) for e in outcome.errors) or None,  # redacted as written
            filesystems=lake.remote_filesystems(
                [settings.lake_root, settings.quarantine_root], settings.storage_options()
            ),
            limits=settings.warehouse_limits,
        )
    say("%s: loaded %s", outcome.source, rows(sum(t.rows_loaded for t in outcome.tables)))


def after_failure(
    source: SourceConfig,
    request: LoadRequest,
    settings: Settings,
    exc: Exception,
    warn: Callable[[str], None],
) -> SourceOutcome:
    """The outcome of a run that raised `exc`: loaded when it had committed (it failed after,
    in a checkpoint, say); else the failure recorded (when the disk lets it be) and raised,
    as DiskFullError, its partitions dropped, when the disk is full."""
    run_id = request.load_run_id
    committed = landed(settings, run_id)
    if committed == "loaded":
        warn(f"{source.name}: loaded, then: {one_line(exc)}")
        return SourceOutcome(source.name, source.kind, run_id)
    if committed is None and (unrecorded := record_failure(settings, request, exc)):
        warn(f"{source.name}: the failure could not be recorded: {unrecorded}")
    if disk_full(exc):
        raise disk_full_error(source, run_id, str(settings.home), exc) from exc
    raise exc


@dataclass(frozen=True)
class Prefetched:
    """A source fetched by the pipeline's own run: its raw files, or why the fetch failed
    (the source's subflow records that failure without fetching again); `unchanged` when
    its inputs are those of its last load (the run is then recorded and goes no further)."""

    raws: list[RawFile] | None = None
    error: str | None = None
    unchanged: bool = False


def prefetch(
    source: SourceConfig,
    fetch: Callable[[], list[RawFile]],
    settings: Settings,
    pipeline_run_id: str | None,
    force: bool,
    note: Callable[[str], None],
) -> Prefetched:
    """Fetch the source and tell whether its inputs changed since its last load."""
    try:
        raws = fetch()
    except Exception as exc:
        return Prefetched(error=redact(one_line(exc)))
    if force:
        return Prefetched(raws)
    request = new_request(source, pipeline_run_id)
    found = fingerprint_to_load(source, raws, settings, request, force, note)
    return Prefetched(raws, unchanged=found is None)


def run_name(parameters: dict[str, Any]) -> str:
    """`dtm`, `article-files+dtm` or `all-sources`: which sources a pipeline run covers."""
    sources = parameters.get("sources")
    if sources is not None:
        names = [s["name"] if isinstance(s, dict) else s.name for s in sources]
    else:
        names = list(parameters.get("only") or [])
    return "+".join(names) if 0 < len(names) <= 3 else "all-sources"


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
    error = one_line(exc)  # redacted as written
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
