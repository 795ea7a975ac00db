"""Country pages drawn side by side: charts and templates in worker processes, one per core.

The main process reads one country at a time and hands it to a worker; only a few pages are
in flight at once, so memory does not grow with the number of countries. Few pages are drawn
in the main process: starting workers costs more than they would save.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from warehouse.report_data import CountryPage, Overview

# Below this many pages per worker, workers cost more (start-up, imports) than they save.
PAGES_PER_WORKER = 8
IN_FLIGHT_PER_WORKER = 2


class Progress(Protocol):
    """Where progress lines go, e.g. `flows.progress.say`."""

    def __call__(self, message: str, *args: object) -> None: ...


def workers_for(pages: int) -> int:
    """Worker processes for this many pages: one per core, none for a few pages."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, pages // PAGES_PER_WORKER)


def draw_pages(
    pages: Iterable[CountryPage],
    total: int,
    summary: Overview,
    out_dir: Path,
    chart_cache: Path | None,
    say: Progress,
) -> None:
    """Write each page (charts, Markdown, HTML), saying which as each one is done."""
    from warehouse.report import write_country

    workers = workers_for(total)
    done = 0

    def finished(iso3: str, name: str) -> None:
        nonlocal done
        done += 1
        say("report: %s %s (%d/%d)", iso3, name, done, total)

    if workers < 2:
        for page in pages:
            finished(write_country(page, summary, out_dir, chart_cache), page.name)
        return
    with _pool(workers) as pool:
        flying: deque[tuple[Future[str], str]] = deque()
        for page in pages:
            if len(flying) >= workers * IN_FLIGHT_PER_WORKER:
                future, name = flying.popleft()
                finished(future.result(), name)
            job = pool.submit(write_country, page, summary, out_dir, chart_cache)
            flying.append((job, page.name))
        while flying:
            future, name = flying.popleft()
            finished(future.result(), name)


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Fresh worker processes (spawned: the caller may hold threads and a DuckDB connection);
    on an error the pages not yet started are dropped."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
