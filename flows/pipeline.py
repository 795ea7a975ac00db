"""The `sitrep-pipeline` flow: per source fetch → normalise → validate → load, then the report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, tags, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.states import State

from expectations.runner import validate
from flows import lake
from flows.artifacts import publish, summarise
from flows.fetch import FetchError, RawFile
from flows.http import HttpError
from flows.incremental import MarkedFile
from flows.runners import api_for_workers, in_process, task_runner
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, get_kind
from flows.warehouse_slot import warehouse_slot
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed, Reject, rejects_frame
from transforms.places import resolve_admin, unresolved_admin
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
    task_run_name="fetch-{source.name}",
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


@task(
    name="normalise",
    task_run_name="normalise-{source.name}",
    cache_policy=NONE,
    persist_result=False,
)
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
                frames[table].append(_with_places(table, parsed.tables[table], origin))
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


def _with_places(table: str, frame: pd.DataFrame, origin: Origin) -> pd.DataFrame:
    """Displacement rows with admin p-codes resolved by the gazetteer; unresolved ones counted."""
    if table != "displacement":
        return frame
    placed = resolve_admin(frame)
    unresolved = int(unresolved_admin(placed).sum())
    if unresolved:
        get_run_logger().warning(
            "%s: %d of %d rows name an admin unit not found in the gazetteer (kept as given)",
            origin.name,
            unresolved,
            len(placed),
        )
    return placed


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
    options = settings.storage_options()
    lake_path = lake.partition_path(settings.lake_root, table, source, run_id)
    lake.write_canonical(lake_path, good, table, options)
    q_path = None
    if bad is not None and len(bad):
        q_path = lake.write_quarantine(
            lake.partition_path(settings.quarantine_root, table, source, run_id), bad, options
        )
    n_bad = 0 if bad is None else len(bad)
    return TableLoad(table, str(lake_path), q_path, len(good) + n_bad, len(good), n_bad)


@task(
    name="validate",
    task_run_name="validate-{outcome.source}",
    cache_policy=NONE,
    persist_result=False,
)
def check(outcome: SourceOutcome, home: str) -> SourceOutcome:
    """Run each table's expectation suite; failing rows move from the lake to quarantine."""
    settings = Settings(home=Path(home))
    options = settings.storage_options()
    for part in outcome.tables:
        frame = lake.read(part.lake_path, options) if part.lake_path else pd.DataFrame()
        result = validate(frame, part.table)
        part.results = results_as_dicts(result.results)
        failed = result.reasons.notna()
        if failed.any():
            quarantine = lake.partition_path(
                settings.quarantine_root,
                part.table,
                outcome.source,
                outcome.load_run_id,
            )
            _move_to_quarantine(part, frame, result.reasons, quarantine, options)
        if part.rows_in and part.rows_quarantined / part.rows_in > result.reject_rate_limit:
            outcome.status = "failed"
            outcome.errors.append(
                f"{part.table}: {part.rows_quarantined} of {part.rows_in} rows quarantined, "
                f"over the limit of {result.reject_rate_limit:.0%}"
            )
    return outcome


def _move_to_quarantine(
    part: TableLoad, frame: pd.DataFrame, reasons: pd.Series, q_path: str, options: lake.Options
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
        moved = pd.concat([lake.read(part.quarantine_path, options), moved], ignore_index=True)
    part.quarantine_path = lake.write_quarantine(q_path, moved, options)
    kept = frame[~failed].reset_index(drop=True)
    lake.write_atomic(str(part.lake_path), conform(kept, part.table), options)
    part.rows_loaded -= len(bad)
    part.rows_quarantined += len(bad)


@task(name="load", task_run_name="load-{source.name}", cache_policy=NONE, persist_result=False)
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
    settings = Settings(home=Path(home))
    with warehouse_slot():
        load(
            settings.warehouse,
            request,
            status=outcome.status,
            error="; ".join(outcome.errors) or None,
            filesystems=lake.remote_filesystems(
                [settings.lake_root, settings.quarantine_root], settings.storage_options()
            ),
        )
    return outcome


def _flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


# No parameter validation: the Dask runner ships this function by value, without the module
# globals its postponed annotations name (SourceConfig); the caller passes typed values anyway.
@flow(
    name="source",
    flow_run_name="{source.name}",
    persist_result=False,
    validate_parameters=False,
)
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
        with warehouse_slot():
            record_failure(Settings(home=Path(home)).warehouse, request, str(exc))
        raise
    if outcome.status == "failed":
        raise PipelineFailedError(f"{source.name}: " + "; ".join(outcome.errors))
    return outcome


@task(name="run-source", task_run_name="run-{source.name}", cache_policy=NONE, persist_result=False)
def source_task(source: SourceConfig, home: str, pipeline_run_id: str | None) -> str:
    """A source's subflow as one unit the task runner can place on any worker."""
    return run_source(source, home, pipeline_run_id).status


def _run_name() -> str:
    """`dtm`, `article-files+dtm` or `all-sources`: which sources a pipeline run covers."""
    params = flow_run.parameters
    sources = params.get("sources")
    if sources is not None:
        names = [s["name"] if isinstance(s, dict) else s.name for s in sources]
    else:
        names = list(params.get("only") or [])
    return "+".join(names) if 0 < len(names) <= 3 else "all-sources"


@flow(
    name="sitrep-pipeline",
    flow_run_name=_run_name,
    persist_result=False,
    task_runner=task_runner(Settings()),
)
def pipeline(
    sources: list[SourceConfig] | None = None,
    home: str | None = None,
    only: list[str] | None = None,
    config: str | None = None,
) -> None:
    """Every configured source, each on its own: one failing does not stop the others.

    The CLI passes resolved `sources`; deployments pass source names (`only`) and the config
    file, read when the run starts on whichever machine runs it.
    """
    settings = Settings(config=Path(config)) if config else Settings()
    if home:
        settings = settings.model_copy(update={"home": Path(home)})
    chosen = sources if sources is not None else _configured(settings, only)
    run_id = _flow_run_id()
    failed = _run_sources(chosen, str(settings.home.resolve()), run_id)
    publish(settings, summarise(settings, run_id))
    if failed:
        raise PipelineFailedError("; ".join(failed))


def _configured(settings: Settings, only: list[str] | None) -> list[SourceConfig]:
    sources = settings.sources()
    unknown = sorted(set(only or []) - {s.name for s in sources})
    if unknown:
        raise PipelineFailedError(f"no configured source named {', '.join(unknown)}")
    return [s for s in sources if not only or s.name in only]


def _run_sources(sources: list[SourceConfig], home: str, run_id: str | None) -> list[str]:
    """Each source as a subflow tagged by source and kind; the lines of those that failed.

    In process the subflows run one after the other in this thread (so fetch timeouts can
    interrupt); on Dask each goes to a worker as a task and they run side by side.
    """
    logger = get_run_logger()
    here = in_process()
    states: list[tuple[SourceConfig, State]] = []
    with api_for_workers():
        futures = []
        for source in sources:
            with tags(f"source:{source.name}", f"kind:{source.kind}"):
                if here:
                    states.append((source, run_source(source, home, run_id, return_state=True)))
                else:
                    futures.append((source, source_task.submit(source, home, run_id)))
    for source, future in futures:
        future.wait()
        states.append((source, future.state))
    failed = []
    for source, state in states:
        if state.is_completed():
            continue
        error = state.result(raise_on_failure=False)
        line = str(error) if isinstance(error, PipelineFailedError) else f"{source.name}: {error}"
        failed.append(line)
        logger.error("source %s failed: %s", source.name, line)
    return failed
