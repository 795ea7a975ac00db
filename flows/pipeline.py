"""The `sitrep-pipeline` flow: per source fetch → normalise → validate → load, then the report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from expectations.runner import validate
from flows import lake
from flows.fetch import FetchError, RawFile
from flows.http import HttpError
from flows.incremental import MarkedFile
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, get_kind
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed, Reject, rejects_frame
from transforms.schema import SchemaDriftError, conform
from warehouse.load import LoadRequest, TableLoad, load, record_failure, results_as_dicts


class PipelineFailedError(RuntimeError):
    """At least one source failed or passed its reject-rate limit."""


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


def _network_error(task: object, task_run: object, state: object) -> bool:
    """Retry a whole fetch only when the network failed after the client's own retries."""
    try:
        state.result()  # type: ignore[attr-defined]
    except FetchError as exc:
        cause = exc.__cause__
        return isinstance(cause, HttpError) and (cause.status is None or cause.status >= 429)
    except Exception:
        return False
    return False


@task(
    name="fetch",
    cache_policy=NONE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_jitter_factor=0.5,
    retry_condition_fn=_network_error,
    timeout_seconds=900,
)
def fetch(source: SourceConfig, home: str) -> list[RawFile]:
    """Every location of the source into the raw store."""
    return get_kind(source.kind).fetch(source, Settings(home=Path(home)))


@task(name="normalise", cache_policy=NONE, persist_result=False)
def normalise(source: SourceConfig, raws: list[RawFile], run_id: str, home: str) -> SourceOutcome:
    """Transform every raw file; canonical rows to the lake, unusable rows to quarantine."""
    settings = Settings(home=Path(home))
    kind = get_kind(source.kind)
    outcome = SourceOutcome(source.name, kind.name, run_id, locations=[r.location for r in raws])
    marked = [r.watermark for r in raws if isinstance(r, MarkedFile)]
    outcome.watermark = marked[-1] if marked else None  # the marks after the whole fetch
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in kind.tables}
    rejected: dict[str, list[pd.DataFrame]] = {t: [] for t in kind.tables}
    for raw in raws:
        origin = Origin(source.name, raw.location, raw.retrieved_at, run_id)
        parsed = _parse(kind, raw, origin, outcome)
        for table in kind.tables:
            if len(parsed.tables.get(table, ())):
                frames[table].append(parsed.tables[table])
            if parsed.rejects.get(table):
                rej = rejects_frame(parsed.rejects[table]).assign(source_url=raw.location)
                rejected[table].append(rej)
    for table in kind.tables:
        outcome.tables.append(
            _write_partition(settings, source.name, run_id, table, frames[table], rejected[table])
        )
    return outcome


def _parse(kind: Kind, raw: RawFile, origin: Origin, outcome: SourceOutcome) -> Parsed:
    """Run the transform; a file it cannot read becomes one quarantined row naming why."""
    try:
        return kind.transform(raw.read(), origin)
    except (InputError, SchemaDriftError) as exc:
        outcome.errors.append(str(exc))
        outcome.status = "failed"
        record = {"file": raw.location, "raw_path": raw.path, "sha256": raw.sha256}
        return Parsed(rejects={kind.tables[0]: [Reject(0, str(exc), record)]})


def _write_partition(
    settings: Settings,
    source: str,
    run_id: str,
    table: str,
    frames: list[pd.DataFrame],
    rejected: list[pd.DataFrame],
) -> TableLoad:
    good = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    bad = pd.concat(rejected, ignore_index=True) if rejected else None
    lake_path = lake.partition_path(settings.lake_dir, table, source, run_id)
    lake.write_canonical(lake_path, good, table)
    q_path = None
    if bad is not None and len(bad):
        q_path = str(
            lake.write_quarantine(
                lake.partition_path(settings.quarantine_dir, table, source, run_id), bad
            )
        )
    n_bad = 0 if bad is None else len(bad)
    return TableLoad(table, str(lake_path), q_path, len(good) + n_bad, len(good), n_bad)


@task(name="validate", cache_policy=NONE, persist_result=False)
def check(outcome: SourceOutcome, home: str) -> SourceOutcome:
    """Run each table's expectation suite; failing rows move from the lake to quarantine."""
    for part in outcome.tables:
        frame = lake.read(Path(part.lake_path)) if part.lake_path else pd.DataFrame()
        result = validate(frame, part.table)
        part.results = results_as_dicts(result.results)
        failed = result.reasons.notna()
        if failed.any():
            quarantine = lake.partition_path(
                Settings(home=Path(home)).quarantine_dir,
                part.table,
                outcome.source,
                outcome.load_run_id,
            )
            _move_to_quarantine(part, frame, result.reasons, quarantine)
        if part.rows_in and part.rows_quarantined / part.rows_in > result.reject_rate_limit:
            outcome.status = "failed"
            outcome.errors.append(
                f"{part.table}: {part.rows_quarantined} of {part.rows_in} rows quarantined, "
                f"over the limit of {result.reject_rate_limit:.0%}"
            )
    return outcome


def _move_to_quarantine(
    part: TableLoad, frame: pd.DataFrame, reasons: pd.Series, q_path: Path
) -> None:
    """Rows that failed an expectation: appended to the quarantine file, dropped from the lake."""
    failed = reasons.notna()
    bad = frame[failed]
    records = bad.drop(columns=["record_hash"]).to_json(
        orient="records", lines=True, date_format="iso"
    )
    moved = pd.DataFrame(
        {
            "row_no": bad.index.astype("int64") + 1,
            "source_url": bad["source_url"],
            "source_record_id": bad["source_record_id"],
            "reason": reasons[failed].astype(str),
            "record": records.splitlines(),
        }
    )
    if part.quarantine_path:
        moved = pd.concat([lake.read(Path(part.quarantine_path)), moved], ignore_index=True)
    part.quarantine_path = str(lake.write_quarantine(q_path, moved))
    kept = frame[~failed].reset_index(drop=True)
    lake.write_atomic(Path(str(part.lake_path)), conform(kept, part.table))
    part.rows_loaded -= len(bad)
    part.rows_quarantined += len(bad)


@task(name="load", cache_policy=NONE, persist_result=False)
def load_outcome(
    outcome: SourceOutcome,
    source: SourceConfig,
    started: datetime,
    home: str,
    pipeline_run_id: str | None,
) -> SourceOutcome:
    """Commit the source run to the warehouse in one transaction."""
    kind = get_kind(source.kind)
    replace = outcome.locations if kind.snapshot else []
    request = LoadRequest(
        outcome.load_run_id,
        source.name,
        kind.name,
        started,
        outcome.tables,
        replace,
        pipeline_run_id,
        watermark=outcome.watermark,
    )
    load(
        Settings(home=Path(home)).warehouse,
        request,
        status=outcome.status,
        error="; ".join(outcome.errors) or None,
    )
    return outcome


def _flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


@flow(name="source", flow_run_name="{source.name}", persist_result=False)
def run_source(
    source: SourceConfig, home: str, pipeline_run_id: str | None = None
) -> SourceOutcome:
    """One source end to end: fetch → normalise → validate → load."""
    pipeline_run_id = pipeline_run_id or _flow_run_id()
    started = datetime.now(UTC)
    run_id = f"{source.name}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    try:
        raws = fetch(source, home)
        outcome = normalise(source, raws, run_id, home)
        outcome = check(outcome, home)
        outcome = load_outcome(outcome, source, started, home, pipeline_run_id)
    except Exception as exc:
        request = LoadRequest(run_id, source.name, source.kind, started, [], [], pipeline_run_id)
        record_failure(Settings(home=Path(home)).warehouse, request, str(exc))
        raise
    if outcome.status == "failed":
        raise PipelineFailedError(f"{source.name}: " + "; ".join(outcome.errors))
    return outcome


@flow(name="sitrep-pipeline", persist_result=False)
def pipeline(sources: list[SourceConfig], home: str) -> None:
    """Every configured source, each on its own: one failing does not stop the others."""
    logger = get_run_logger()
    failed = []
    run_id = _flow_run_id()
    for source in sources:
        state = run_source(source, home, run_id, return_state=True)
        if state.is_failed():
            failed.append(f"{source.name}: {state.message}")
            logger.error("source %s failed: %s", source.name, state.message)
    _publish_counts(home)
    from warehouse.report import write_report

    write_report(Settings(home=Path(home)))
    if failed:
        raise PipelineFailedError("; ".join(failed))


def _publish_counts(home: str) -> None:
    from warehouse.status import run_counts

    rows = run_counts(Settings(home=Path(home)).warehouse, _flow_run_id())
    if rows:
        create_table_artifact(
            key="sitrep-load-counts",
            table=rows,
            description="Rows in, loaded and quarantined per source and table",
        )
