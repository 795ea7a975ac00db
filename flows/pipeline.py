"""The `sitrep-pipeline` flow: per source fetch → stage → load, then the report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, tags, task
from prefect.cache_policies import NONE
from prefect.exceptions import MissingResult
from prefect.runtime import flow_run
from prefect.states import State

from flows import lake
from flows.artifacts import publish, summarise
from flows.console import CLI_SAYS
from flows.fetch import FetchError, RawFile
from flows.http import redact, redact_log_records
from flows.incremental import MarkedFile, input_fingerprint
from flows.progress import rows, say
from flows.runners import api_for_workers, in_process, task_runner
from flows.runs import (
    PipelineFailedError,
    SourceOutcome,
    disk_full_error,
    landed,
    load_request,
    new_request,
    record_failure,
)
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind
from flows.stage import stage
from flows.warehouse_slot import warehouse_slot
from transforms.errors import disk_full, one_line
from warehouse.load import LoadRequest, load, record_run
from warehouse.watermarks import last_inputs

__all__ = ["PipelineFailedError", "pipeline", "run_source"]

# Log lines go to the console and to Prefect's database: secrets are redacted from each.
redact_log_records()


@task(
    name="fetch",
    task_run_name="fetch-{source.name}",
    cache_policy=NONE,
    persist_result=False,
    timeout_seconds=900,
)
def fetch(source: SourceConfig, home: str) -> list[RawFile]:
    """Every location of the source into the raw store (no task retries: `flows.http.get`
    is the one owner of retries, and a source is fetched once per run)."""
    say("%s: fetching", source.name)
    raws = get_kind(source.kind).fetch(source, Settings(home=Path(home)))
    say("%s: fetched %d file%s", source.name, len(raws), "" if len(raws) == 1 else "s")
    return raws


@task(name="stage", task_run_name="stage-{source.name}", cache_policy=NONE, persist_result=False)
def stage_source(
    source: SourceConfig, raws: list[RawFile], run_id: str, home: str
) -> SourceOutcome:
    """Raw files to the run's validated lake and quarantine files (`flows.stage`)."""
    outcome = stage(
        get_kind(source.kind), source.name, raws, run_id, Settings(home=Path(home)), _warn
    )
    marked = [r.watermark for r in raws if isinstance(r, MarkedFile)]
    outcome.watermark = marked[-1] if marked else None  # the marks after the whole fetch
    return outcome


def _warn(message: str) -> None:
    get_run_logger().warning("%s", message)


@task(name="load", task_run_name="load-{source.name}", cache_policy=NONE, persist_result=False)
def load_outcome(
    outcome: SourceOutcome,
    source: SourceConfig,
    started: datetime,
    home: str,
    pipeline_run_id: str | None,
) -> SourceOutcome:
    """Commit the source run to the warehouse in one transaction."""
    request = load_request(outcome, get_kind(source.kind), started, pipeline_run_id)
    settings = Settings(home=Path(home))
    with warehouse_slot():
        load(
            settings.warehouse,
            request,
            status=outcome.status,
            error=redact("; ".join(one_line(e) for e in outcome.errors)) or None,
            filesystems=lake.remote_filesystems(
                [settings.lake_root, settings.quarantine_root], settings.storage_options()
            ),
            limits=settings.warehouse_limits,
        )
    say("%s: loaded %s", source.name, rows(sum(t.rows_loaded for t in outcome.tables)))
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
    source: SourceConfig,
    home: str,
    pipeline_run_id: str | None = None,
    force: bool = False,
    raws: list[RawFile] | None = None,
    fetch_error: str | None = None,
) -> SourceOutcome:
    """One source end to end: fetch → stage → load (`raws`: already fetched; `fetch_error`:
    the pipeline's fetch failed, recorded here without fetching again).

    When the fetch brings nothing new (no file, or the very inputs of the source's last
    successful load: same bytes, settings and code), the run is recorded as `unchanged` and
    nothing is parsed again; `force` parses and loads anyway.
    """
    request = new_request(source, pipeline_run_id or _flow_run_id())
    run_id, settings = request.load_run_id, Settings(home=Path(home))
    try:
        if fetch_error is not None:
            raise FetchError(fetch_error)
        checked = raws is not None  # fetched and found new by the pipeline's own run
        raws = raws if raws is not None else fetch(source, home)
        fingerprint = _fingerprint_to_load(source, raws, home, request, force or checked)
        if fingerprint is None:
            return SourceOutcome(source.name, source.kind, run_id, status="unchanged")
        outcome = stage_source(source, raws, run_id, home)
        outcome.fingerprint = fingerprint
        outcome = load_outcome(outcome, source, request.started_at, home, request.flow_run_id)
    except Exception as exc:
        committed = landed(settings, run_id)
        if committed == "loaded":  # failed after its commit (in a checkpoint, say): it is loaded
            get_run_logger().warning("%s: loaded, then: %s", source.name, one_line(exc))
            return SourceOutcome(source.name, source.kind, run_id)
        if committed is None and (unrecorded := record_failure(settings, request, exc)):
            get_run_logger().warning(
                "%s: the failure could not be recorded: %s", source.name, unrecorded
            )
        if disk_full(exc):
            raise disk_full_error(source, run_id, home, exc) from exc
        raise
    if outcome.status == "failed":
        raise PipelineFailedError([f"{source.name}: {e}" for e in outcome.errors], committed=True)
    return outcome


def _fingerprint_to_load(
    source: SourceConfig, raws: list[RawFile], home: str, request: LoadRequest, force: bool
) -> str | None:
    """The inputs' fingerprint when they need loading; None (the run recorded `unchanged`)
    when the fetch brought nothing or the inputs of the last successful load."""
    fingerprint = input_fingerprint(source, raws)
    settings = Settings(home=Path(home))
    warehouse, limits = settings.warehouse, settings.warehouse_limits
    if force or (raws and last_inputs(warehouse, source.name, limits) != fingerprint):
        return fingerprint
    with warehouse_slot():
        record_run(warehouse, request, "unchanged", None, limits)
    get_run_logger().info("%s: inputs unchanged since its last load", source.name)
    say("%s: unchanged since its last load, not loaded again", source.name)
    return None


def _fetched_unchanged(
    source: SourceConfig, home: str, run_id: str | None, force: bool
) -> tuple[bool, list[RawFile] | str]:
    """Fetch in the pipeline's own run, so a source with nothing new costs no subflow.

    Returns (unchanged, raws), or (False, why) when the fetch failed: the source's subflow
    then records the failure without fetching again.
    """
    try:
        raws = fetch(source, home)
    except Exception as exc:
        return False, redact(one_line(exc))
    if force:
        return False, raws
    request = new_request(source, run_id)
    return _fingerprint_to_load(source, raws, home, request, force) is None, raws


@task(name="run-source", task_run_name="run-{source.name}", cache_policy=NONE, persist_result=False)
def source_task(
    source: SourceConfig, home: str, pipeline_run_id: str | None, force: bool = False
) -> str:
    """A source's subflow as one unit the task runner can place on any worker."""
    return run_source(source, home, pipeline_run_id, force).status


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
    force: bool = False,
) -> None:
    """Every configured source, each on its own: one failing does not stop the others.

    The CLI passes resolved `sources`; deployments pass source names (`only`) and the config
    file, read when the run starts on whichever machine runs it. Sources whose inputs are
    unchanged are not loaded again (unless `force`), and when none changed the report stays.
    """
    settings = Settings(config=Path(config)) if config else Settings()
    if home:
        settings = settings.model_copy(update={"home": Path(home)})
    chosen = sources if sources is not None else _configured(settings, only)
    run_id = _flow_run_id()
    failed, changed = _run_sources(chosen, str(settings.home.resolve()), run_id, force)
    publish(settings, summarise(settings, run_id, write_report=changed), failed)
    if failed:
        raise PipelineFailedError(failed)


def _configured(settings: Settings, only: list[str] | None) -> list[SourceConfig]:
    sources = settings.sources()
    unknown = sorted(set(only or []) - {s.name for s in sources})
    if unknown:
        raise PipelineFailedError([f"no configured source named {', '.join(unknown)}"])
    return [s for s in sources if not only or s.name in only]


def _run_sources(
    sources: list[SourceConfig], home: str, run_id: str | None, force: bool
) -> tuple[list[str], bool]:
    """Each source as a subflow tagged by source and kind; the lines of those that failed,
    and whether any source changed the warehouse (loaded, or failed after committing).

    In process each source is fetched here first and only a source with new inputs gets its
    subflow, one after the other in this thread (so fetch timeouts can interrupt); on Dask
    each goes to a worker as a task and they run side by side.
    """
    logger = get_run_logger()
    here = in_process()
    states: list[tuple[SourceConfig, State]] = []
    with api_for_workers():
        futures = []
        for source in sources:
            with tags(f"source:{source.name}", f"kind:{source.kind}"):
                if here:
                    unchanged, got = _fetched_unchanged(source, home, run_id, force)
                    if unchanged:
                        continue
                    raws, why = (None, got) if isinstance(got, str) else (got, None)
                    state = run_source(source, home, run_id, force, raws, why, return_state=True)
                    states.append((source, state))
                else:
                    futures.append((source, source_task.submit(source, home, run_id, force)))
    for source, future in futures:
        future.wait()
        states.append((source, future.state))
    failed: list[str] = []
    changed = False
    for source, state in states:
        result = state_result(state)
        if state.is_completed():  # no result kept: it may have loaded (the report checks)
            changed |= result is None or getattr(result, "status", result) != "unchanged"
            continue
        if isinstance(result, PipelineFailedError):
            lines, changed = result.lines, changed or result.committed
        else:
            lines = [f"{source.name}: {one_line(result or state.message or 'failed')}"]
        lines = [redact(line) for line in lines]
        failed.extend(lines)
        for line in lines:  # the CLI prints these itself: kept from its terminal
            logger.error("source %s failed: %s", source.name, line, extra={CLI_SAYS: True})
    return failed, changed


def state_result(state: State) -> object:
    """A final state's result or exception; None when Prefect kept no data for it (a state
    read back from the API, as happens when its database is busy: `MissingResult`)."""
    try:
        return state.result(raise_on_failure=False)
    except MissingResult:
        return None
