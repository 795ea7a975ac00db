"""The `sitrep-pipeline` flow: per source fetch → stage → load, then the report."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

from prefect import flow, get_run_logger, tags, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.states import State

from flows.artifacts import publish, summarise
from flows.fetch import FetchError, RawFile
from flows.http import redact_log_records
from flows.incremental import MarkedFile
from flows.progress import say
from flows.run_states import tally
from flows.runners import api_for_workers, in_process, task_runner
from flows.runs import (
    PipelineFailedError,
    SourceOutcome,
    after_failure,
    commit,
    configured,
    fingerprint_to_load,
    new_request,
    prefetch,
    run_name,
)
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind
from flows.stage import stage

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


def _info(message: str) -> None:
    get_run_logger().info("%s", message)


@task(name="load", task_run_name="load-{source.name}", cache_policy=NONE, persist_result=False)
def load_outcome(
    outcome: SourceOutcome,
    source: SourceConfig,
    started: datetime,
    home: str,
    pipeline_run_id: str | None,
) -> SourceOutcome:
    """Commit the source run to the warehouse in one transaction (`flows.runs.commit`)."""
    commit(outcome, Settings(home=Path(home)), started, pipeline_run_id)
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
        fingerprint = fingerprint_to_load(source, raws, settings, request, force or checked, _info)
        if fingerprint is None:
            return SourceOutcome(source.name, source.kind, run_id, status="unchanged")
        outcome = stage_source(source, raws, run_id, home)
        outcome.fingerprint = fingerprint
        outcome = load_outcome(outcome, source, request.started_at, home, request.flow_run_id)
    except Exception as exc:
        return after_failure(source, request, settings, exc, _warn)
    if outcome.status == "failed":
        raise PipelineFailedError([f"{source.name}: {e}" for e in outcome.errors], committed=True)
    return outcome


@task(name="run-source", task_run_name="run-{source.name}", cache_policy=NONE, persist_result=False)
def source_task(
    source: SourceConfig, home: str, pipeline_run_id: str | None, force: bool = False
) -> str:
    """A source's subflow as one unit the task runner can place on any worker."""
    return run_source(source, home, pipeline_run_id, force).status


def _run_name() -> str:
    return run_name(flow_run.parameters)


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
    chosen = sources if sources is not None else configured(settings, only)
    run_id = _flow_run_id()
    states = _run_sources(chosen, str(settings.home.resolve()), run_id, force)
    done = tally(states, get_run_logger())
    publish(settings, summarise(settings, run_id, write_report=done.changed), done.failed)
    if done.failed:
        raise PipelineFailedError(done.failed)


def _run_sources(
    sources: list[SourceConfig], home: str, run_id: str | None, force: bool
) -> list[tuple[SourceConfig, State]]:
    """Each source as a subflow tagged by source and kind; their final states.

    In process each source is fetched here first and only a source with new inputs gets its
    subflow, one after the other in this thread (so fetch timeouts can interrupt); on Dask
    each goes to a worker as a task and they run side by side.
    """
    here = in_process()
    states: list[tuple[SourceConfig, State]] = []
    with api_for_workers():
        futures = []
        for source in sources:
            with tags(f"source:{source.name}", f"kind:{source.kind}"):
                if here:  # fetched here first, so a source with nothing new costs no subflow
                    fetched = partial(fetch, source, home)
                    got = prefetch(source, fetched, Settings(home=Path(home)), run_id, force, _info)
                    if got.unchanged:
                        continue
                    state = run_source(
                        source, home, run_id, force, got.raws, got.error, return_state=True
                    )
                    states.append((source, state))
                else:
                    futures.append((source, source_task.submit(source, home, run_id, force)))
    for source, future in futures:
        future.wait()
        states.append((source, future.state))
    return states
