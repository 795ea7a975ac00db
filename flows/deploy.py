"""Deployments of `sitrep-pipeline`: one per configured source and one for all, each on a cron.

`sitrep serve` serves them from this process; `sitrep deploy --pool NAME` registers the same
deployments on a work pool so workers on other machines run them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flows.settings import Settings, SourceConfig

SCHEDULES = Path(__file__).parent / "schedules.csv"
ALL_SOURCES = "all-sources"


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
            f"Source {s.name} ({s.kind}): fetch, normalise, validate, load, then the report",
        )
        for s in sources
    ]


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

    try:
        prefect_serve(*runner_deployments(chosen), limit=limit, print_starting_message=False)
    finally:
        pause(chosen)


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
