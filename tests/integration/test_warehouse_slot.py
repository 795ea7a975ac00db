"""One warehouse writer at a time: the `sitrep-warehouse` concurrency limit and the file lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextvars import copy_context
from pathlib import Path

import duckdb
from prefect import get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
from prefect.client.schemas.sorting import TaskRunSort
from prefect.settings import PREFECT_API_URL
from prefect.states import State

from flows.pipeline import pipeline
from flows.settings import SourceConfig
from flows.warehouse_slot import LIMIT, warehouse_slot

BIN = Path(sys.executable).parent


def load_is_running(name: str) -> bool:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=[name])),
            sort=TaskRunSort.EXPECTED_START_TIME_DESC,
            limit=5,
            offset=0,
        )
    return any(r.state is not None and r.state.is_running() for r in runs)


def test_a_run_waits_for_the_warehouse_slot_held_by_another(
    prefect_api, home: Path, samples: Path
) -> None:
    name = f"held-{time.monotonic_ns()}"
    source = SourceConfig(name=name, kind="dtm", location=[str(samples / "dtm")])
    states: list[State] = []
    run = copy_context().run  # the thread keeps the test's Prefect API settings
    runner = threading.Thread(
        target=run, args=(lambda: states.append(pipeline([source], str(home), return_state=True)),)
    )
    with warehouse_slot():
        runner.start()
        deadline = time.monotonic() + 120
        while not load_is_running(f"load-{name}"):
            assert time.monotonic() < deadline, "the load task never started"
            time.sleep(0.5)
        time.sleep(2)
        assert runner.is_alive()
        assert not (home / "warehouse.duckdb").exists()  # nothing written while we hold it
    runner.join(timeout=120)
    assert states and states[0].is_completed()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM load_runs").fetchone() == (1,)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(LIMIT).limit == 1


def test_two_processes_loading_at_once_both_land_whole(
    prefect_api, home: Path, tmp_path: Path, samples: Path
) -> None:
    config = tmp_path / "sitrep.toml"
    config.write_text(
        f'[[sources]]\nname = "dtm"\nkind = "dtm"\nlocation = "{samples / "dtm"}"\n'
        f'[[sources]]\nname = "articles"\nkind = "article-files"\n'
        f'location = "{samples / "articles"}"\n'
    )
    env = {**os.environ, "SITREP_HOME": str(home), "PREFECT_API_URL": PREFECT_API_URL.value()}
    runs = [
        subprocess.Popen(
            [str(BIN / "sitrep"), "run", "--config", str(config), "--source", name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("dtm", "articles")
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("SELECT source, status FROM load_runs").fetchall())
        assert statuses == {"dtm": "loaded", "articles": "loaded"}
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM displacement").fetchone()[0] > 0
