"""Deployments of `sitrep-pipeline`: one per configured source and one for all, each on a cron.

`sitrep serve` serves them from this process; `sitrep deploy --pool NAME` registers the same
deployments on a work pool so workers on other machines run them.
"""

from __future__ import annotations

import csv
import logging
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flows.http import redact
from flows.settings import Settings, SourceConfig

SCHEDULES = Path(__file__).parent / "schedules.csv"
ALL_SOURCES = "all-sources"
FLOW = "sitrep-pipeline"
# How often `serve` names the runs Prefect's scheduler created, and how many it reads at once.
NAMING_SECONDS = 2.0
PAGE = 200


@cache
def default_schedules() -> dict[str, str]:
    """Cron per source kind when the config gives none (`flows/schedules.csv`)."""
    with SCHEDULES.open(newline="") as f:
        return {row["kind"]: row["cron"] for row in csv.DictReader(f)}


def schedule_for(source: SourceConfig) -> str | None:
    """The source's own cron, else its kind's default; None means run on demand only."""
    return source.schedule or default_schedules().get(source.kind)


@dataclass(frozen=True)
class Plan:
    """One deployment to create: its name, cron, flow parameters and tags."""

    name: str
    cron: str | None
    parameters: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    description: str = ""


def plans(settings: Settings, sources: list[SourceConfig], portable: bool = False) -> list[Plan]:
    """The whole pipeline, then one deployment per source.

    `portable` leaves the config file and home out of the parameters, so each worker uses its
    own `sitrep.toml` and SITREP_HOME; otherwise this machine's absolute paths are pinned.
    """
    pinned: dict[str, Any] = {}
    config = settings.config_path()
    if not portable:
        pinned = {"home": str(settings.home.resolve())}
        if config is not None:
            pinned["config"] = str(config.resolve())
    whole = Plan(
        ALL_SOURCES,
        settings.pipeline_schedule,
        dict(pinned),
        ["sitrep", "pipeline"],
        "Every configured source, then the report",
    )
    return [whole] + [
        Plan(
            s.name,
            schedule_for(s),
            {**pinned, "only": [s.name]},
            ["sitrep", f"source:{s.name}", f"kind:{s.kind}"],
            description(s),
        )
        for s in sources
    ]


def description(source: SourceConfig) -> str:
    """What a source's deployment does, from its config (locations redacted), for the UI."""
    cited = " · ".join(x for x in (source.provider, source.dataset) if x)
    where = ", ".join(redact(loc) for loc in source.location)
    return (
        f"Source {source.name} ({source.kind}{f': {cited}' if cited else ''}) from {where}: "
        "fetch, normalise, validate, load, then the report"
    )


def runner_deployments(chosen: list[Plan]) -> list[Any]:
    """Prefect deployments of the pipeline flow, loaded by module path when a run starts."""
    from prefect.deployments.runner import EntrypointType

    from flows.pipeline import pipeline

    return [
        pipeline.to_deployment(
            name=p.name,
            cron=p.cron,
            parameters=p.parameters,
            tags=p.tags,
            description=p.description,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for p in chosen
    ]


def serve(chosen: list[Plan], limit: int) -> None:
    """Serve the deployments until Ctrl-C or SIGTERM; their schedules are paused on the way out."""
    import warnings

    from prefect import serve as prefect_serve

    # Prefect's SIGTERM handler calls the async Runner.stop without awaiting it; shutdown still
    # pauses the schedules and exits 0, so the warning is noise.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")

    stop = threading.Event()
    namer = threading.Thread(target=_keep_naming, args=(chosen, stop), name="run-names")
    namer.daemon = True
    namer.start()
    try:
        prefect_serve(*runner_deployments(chosen), limit=limit, print_starting_message=False)
    finally:
        stop.set()
        pause(chosen)


def _keep_naming(chosen: list[Plan], stop: threading.Event) -> None:
    """Name the served deployments' waiting runs until `stop` is set (see `name_waiting_runs`)."""
    from prefect import get_client

    named: set[str] = set()
    names: dict[Any, str] = {}
    with get_client(sync_client=True) as client:
        while not stop.wait(NAMING_SECONDS):
            try:
                if len(names) < len(chosen):  # until serving has created them all
                    names = _served_ids(client, chosen)
                name_waiting_runs(client, names, named)
            except Exception as exc:  # a busy or restarting server: try again next round
                logging.getLogger(__name__).debug("naming scheduled runs: %s", exc)


def name_waiting_runs(client: Any, names: dict[Any, str], named: set[str]) -> int:
    """Give each scheduled or pending run of the deployments `names` (id: deployment name) the
    name it will run under; `named` holds the run ids already done. The number renamed now.

    Prefect's scheduler creates runs with a random name (`brave-otter`) that the flow replaces
    with its own (`dtm`, `all-sources`) only when the run starts, so the Runs page showed the
    random one until then. A deployment's runs are named after it, as the flow names them.
    """
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    if not names:
        return 0
    waiting = FlowRunFilter(
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
        )
    )
    done = 0
    offset = 0
    while True:
        runs = client.read_flow_runs(
            flow_run_filter=waiting,
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=list(names))),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,  # this server rejects a null sort (422)
            limit=PAGE,
            offset=offset,
        )
        for run in runs:
            name = names.get(run.deployment_id)
            if name and run.name != name and str(run.id) not in named:
                client.update_flow_run(run.id, name=name)
                done += 1
            named.add(str(run.id))
        if len(runs) < PAGE:
            return done
        offset += PAGE


def _served_ids(client: Any, chosen: list[Plan]) -> dict[Any, str]:
    from prefect.exceptions import ObjectNotFound

    ids = {}
    for plan in chosen:
        try:
            ids[client.read_deployment_by_name(f"{FLOW}/{plan.name}").id] = plan.name
        except ObjectNotFound:  # not created yet
            continue
    return ids


def pause(chosen: list[Plan]) -> None:
    """Pause the served deployments' schedules ourselves: Prefect's SIGTERM handler starts its
    own pause without waiting for it, and on a busy machine the process can exit first."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        for plan in chosen:
            try:
                deployment = client.read_deployment_by_name(f"sitrep-pipeline/{plan.name}")
            except ObjectNotFound:  # serving stopped before it was created
                continue
            client.pause_deployment(deployment.id)


def deploy(chosen: list[Plan], pool: str, source_dir: Path) -> list[str]:
    """Register the deployments on work pool `pool`; workers pull the code from `source_dir`.

    `apply` rather than `Flow.deploy`: the latter first lists the pool's workers with null
    paging values, which the API of this Prefect/FastAPI pair rejects (422).
    """
    from prefect import get_client

    from flows.pipeline import pipeline

    with get_client(sync_client=True) as client:
        client.read_work_pool(pool)  # ObjectNotFound, rather than a 500 from the first apply
    remote: Any = pipeline.from_source(
        source=str(source_dir), entrypoint="flows/pipeline.py:pipeline"
    )
    return [
        str(
            remote.to_deployment(
                name=p.name,
                work_pool_name=pool,
                cron=p.cron,
                parameters=p.parameters,
                tags=p.tags,
                description=p.description,
            ).apply()
        )
        for p in chosen
    ]


def next_runs(sources: list[str]) -> dict[str, str]:
    """Per source, when its next scheduled run starts (ISO 8601, UTC), on the Prefect server
    that PREFECT_API_URL names: the earlier of its own deployment's and `all-sources`'.

    Only sources with a scheduled run are keys: a paused deployment (serving stopped) has none.
    """
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import DeploymentSort

    with get_client(sync_client=True, httpx_settings={"timeout": 10}) as client:
        deployments = client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW])),
            sort=DeploymentSort.NAME_ASC,
            limit=PAGE,
            offset=0,
        )
        starts = {d.name: _next_start(client, d.id) for d in deployments}
    found = {}
    for source in sources:
        times = [t for t in (starts.get(source), starts.get(ALL_SOURCES)) if t is not None]
        if times:
            found[source] = min(times).isoformat(timespec="minutes")
    return found


def _next_start(client: Any, deployment_id: Any) -> Any:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
        ),
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=1,
        offset=0,
    )
    return runs[0].expected_start_time if runs else None
