"""One warehouse writer at a time: a Prefect global concurrency limit, and the file lock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import get_current_settings

from flows.api_server import TEMPORARY_API_ENV

LIMIT = "sitrep-warehouse"
# A run waits this long for another run's load before failing with a clear timeout.
WAIT_SECONDS = 3600.0


def api_url() -> str | None:
    """The Prefect server this process reports to; None for a temporary (ephemeral) API."""
    url = get_current_settings().api.url
    return str(url) if url else None


@contextmanager
def warehouse_slot() -> Iterator[None]:
    """Hold the one `sitrep-warehouse` slot when a Prefect server arbitrates between machines.

    Without a server each process has its own temporary API (Prefect's ephemeral one, or the
    one the CLI starts and marks with SITREP_TEMPORARY_API), so only the file lock taken by
    `warehouse.load` (and by readers through `lock_for`) keeps writers apart.
    """
    url = api_url()
    if url is None or os.environ.get(TEMPORARY_API_ENV):
        yield
        return
    ensure_limit(url)
    with concurrency(LIMIT, occupy=1, timeout_seconds=WAIT_SECONDS, strict=True):
        yield


@cache
def ensure_limit(url: str) -> None:
    """Create the `sitrep-warehouse` limit (1 slot) on the server at `url` when it is missing."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(LIMIT)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=LIMIT, limit=1)
                )
