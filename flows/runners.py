"""Which Prefect task runner runs the sources: one at a time in process, or on a Dask cluster."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows.settings import Settings
from flows.warehouse_slot import api_url


def task_runner(settings: Settings) -> Any:
    """`SITREP_TASK_RUNNER=dask`: a Dask cluster (`SITREP_DASK_ADDRESS`, else a LocalCluster)."""
    if settings.task_runner != "dask":
        return ThreadPoolTaskRunner(max_workers=1)
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
            "silence_logs": logging.WARNING,
        }
    )


@contextmanager
def api_for_workers() -> Iterator[None]:
    """Give task runs in other processes the URL of this run's API, even a temporary one.

    Without it each Dask worker process would start its own temporary API (~11 s each) and
    its task runs would not show under this flow run.
    """
    context = FlowRunContext.get()
    if context is None or in_process() or api_url() is not None:
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: str(context.client.api_url)}):
        yield


def in_process() -> bool:
    """True when the current flow's task runner runs tasks in this process (threads)."""
    context = FlowRunContext.get()
    return context is None or isinstance(context.task_runner, ThreadPoolTaskRunner)
