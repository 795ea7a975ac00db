"""Against a real `prefect server start` on loopback: what the UI shows for a run, and serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pytest
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import Artifact, FlowRun, StateType
from prefect.client.schemas.schedules import IntervalSchedule
from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

from flows.cli import app
from flows.deploy import default_schedules
from flows.server import free_port, local_server

pytestmark = pytest.mark.server

BIN = Path(sys.executable).parent
T = TypeVar("T")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `prefect server start` for the module; its scheduler looks for work every second."""
    home = tmp_path_factory.mktemp("prefect-server")
    fast = {"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1"}
    with local_server(home, free_port(), extra_env=fast) as api:
        yield api


@contextmanager
def client(api: str) -> Iterator[SyncPrefectClient]:
    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        yield c


def write_config(path: Path, sources: dict[str, tuple[str, Path]]) -> Path:
    blocks = [
        f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nlocation = "{where}"\n'
        for name, (kind, where) in sources.items()
    ]
    path.write_text("\n".join(blocks))
    return path


def one_figure_too_big(fixtures: Path, folder: Path) -> Path:
    """The Chad admin 0 slice with one figure above the expectation's maximum (150 million)."""
    folder.mkdir()
    payload = json.loads((fixtures / "displacement-admin0-tcd-slice.json").read_text())
    payload["result"][0]["numPresentIdpInd"] = 200_000_000
    (folder / "tcd.json").write_text(json.dumps(payload))
    return folder


def sitrep(api: str, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PREFECT_API_URL": api, "SITREP_HOME": str(home), **env}
    return subprocess.run(
        [str(BIN / "sitrep"), *args], env=environ, capture_output=True, text=True, timeout=240
    )


def wait_for(probe: Callable[[], T | None], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no {what} within {seconds:.0f} s")


def pipeline_runs(c: SyncPrefectClient) -> list[FlowRun]:
    return c.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=["sitrep-pipeline"])),
        sort=FlowRunSort.START_TIME_DESC,
        limit=50,
        offset=0,
    )


def artifacts(c: SyncPrefectClient, flow_run: FlowRun) -> dict[str, Artifact]:
    """The run's artifacts by key. `read_artifacts` sends null task/flow-run filters, which this
    server (fastapi 0.154) rejects with 422, and an empty task-run filter drops flow-level
    artifacts, so the same endpoint is called with only the artifact filter."""
    body = {"artifacts": {"flow_run_id": {"any_": [str(flow_run.id)]}}, "limit": 50}
    response = c._client.post("/artifacts/filter", json=body)
    return {a.key: a for a in map(Artifact.model_validate, response.json())}


def test_a_run_shows_named_tagged_runs_and_its_artifacts(
    server: str, tmp_path: Path, samples: Path, fixtures: Path
) -> None:
    config = write_config(
        tmp_path / "sitrep.toml",
        {
            "articles": ("article-files", samples / "articles"),
            "chad": ("dtm", one_figure_too_big(fixtures, tmp_path / "dtm")),
        },
    )
    home = tmp_path / "home"
    result = sitrep(server, home, "run", "--config", str(config))
    assert result.returncode == 0, result.stderr + result.stdout
    with client(server) as c:
        top = next(r for r in pipeline_runs(c) if r.name == "articles+chad")
        assert top.state is not None and top.state.is_completed()
        subflows = c.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["source"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=50,
            offset=0,
        )
        chad = next(r for r in subflows if r.name == "chad")
        assert {"source:chad", "kind:dtm"} <= set(chad.tags)
        # Fetches run in the pipeline's own run (a source with nothing new gets no subflow);
        # stage and load in the source's subflow.
        runs = [top.id, *(r.id for r in subflows)]
        tasks = c.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=runs)),
            sort=TaskRunSort.EXPECTED_START_TIME_DESC,
            limit=200,
            offset=0,
        )
        names = {t.name for t in tasks}
        shown = artifacts(c, top)
    for stage in ("fetch", "stage", "load"):
        assert {f"{stage}-articles", f"{stage}-chad"} <= names
    assert all("source:chad" in t.tags for t in tasks if t.name.endswith("-chad"))
    assert_artifacts(shown, home)


def assert_artifacts(shown: dict[str, Artifact], home: Path) -> None:
    assert set(shown) >= {
        "sitrep-load-counts",
        "sitrep-failed-expectations",
        "sitrep-report",
        "sitrep-report-html",
        "sitrep-data-docs",
    }
    counts = json.loads(shown["sitrep-load-counts"].data)
    chad = next(r for r in counts if r["source"] == "chad")
    assert (chad["in"], chad["loaded"], chad["quarantined"]) == (6, 5, 1)
    failed = json.loads(shown["sitrep-failed-expectations"].data)
    assert [(f["source"], f["expectation"], f["unexpected_count"]) for f in failed] == [
        ("chad", "expect_column_values_to_be_between", 1)
    ]
    assert shown["sitrep-report"].data.startswith("# Displacement situation report")
    html = (home / "reports" / "index.html").resolve()
    assert html.exists() and html.as_uri() in shown["sitrep-report-html"].data
    docs = home / "gx_docs"
    assert docs.resolve().joinpath("index.html").as_uri() in shown["sitrep-data-docs"].data
    pages = list((docs / "validations" / "displacement").rglob("*.html"))
    assert pages and "200000000" in pages[0].read_text()


def test_serve_runs_a_deployment_on_its_schedule_and_stops_cleanly(
    server: str, tmp_path: Path, fixtures: Path
) -> None:
    dtm = tmp_path / "dtm"
    dtm.mkdir()
    shutil.copy(fixtures / "displacement-admin0-tcd-slice.json", dtm)
    config = write_config(tmp_path / "sitrep.toml", {"served": ("dtm", dtm)})
    env = {
        **os.environ,
        "PREFECT_API_URL": server,
        "SITREP_HOME": str(tmp_path / "home"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    serving = subprocess.Popen(
        [str(BIN / "sitrep"), "serve", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with client(server) as c:
            run = scheduled_run_completes(c)
            waiting = wait_for(lambda: named_waiting_runs(c), 60, "waiting runs named served")
            status = sitrep(server, tmp_path / "home", "status", "--format", "json")
            starts = {minute(r) for r in waiting + scheduled_runs(c)}
    finally:
        serving.send_signal(signal.SIGTERM)
        output = serving.communicate(timeout=60)[0]
    assert run.name == "served", output
    assert serving.returncode == 0, output
    assert status.returncode == 0, status.stderr
    served = next(r for r in json.loads(status.stdout) if r["source"] == "served")
    assert served["next_run"] in starts  # the earliest waiting run, read before or after
    with client(server) as c:
        deployment = c.read_deployment_by_name("sitrep-pipeline/served")
        assert [r for r in scheduled_runs(c) if r.deployment_id == deployment.id] == []
    assert deployment.paused  # schedules paused on the way out; a new `serve` resumes them
    assert deployment.description and "served (dtm) from " in deployment.description
    stopped = sitrep(server, tmp_path / "home", "status", "--format", "json")
    assert [r["next_run"] for r in json.loads(stopped.stdout)] == [None]
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM displacement").fetchone() == (6,)


def scheduled_runs(c: SyncPrefectClient) -> list[FlowRun]:
    """The waiting runs of every deployment of sitrep-pipeline, soonest first."""
    return c.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=["sitrep-pipeline"])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
        ),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=200,
        offset=0,
    )


def named_waiting_runs(c: SyncPrefectClient) -> list[FlowRun] | None:
    """The served deployment's scheduled runs once every one carries the deployment's name:
    Prefect's scheduler creates them with random names, which `serve` replaces."""
    served = c.read_deployment_by_name("sitrep-pipeline/served").id
    runs = [r for r in scheduled_runs(c) if r.deployment_id == served]
    return runs if runs and all(r.name == "served" for r in runs) else None


def minute(run: FlowRun) -> str:
    assert run.expected_start_time is not None
    return run.expected_start_time.isoformat(timespec="minutes")


def scheduled_run_completes(c: SyncPrefectClient) -> FlowRun:
    """The served deployment has its cron; an interval schedule whose next slot is a second
    away makes the scheduler start a run, which the serving process picks up and completes."""

    def deployment() -> Any:
        try:
            return c.read_deployment_by_name("sitrep-pipeline/served")
        except ObjectNotFound:
            return None

    served = wait_for(deployment, 60, "served deployment")
    assert [s.schedule.cron for s in served.schedules] == [default_schedules()["dtm"]]
    assert "source:served" in served.tags
    soon = IntervalSchedule(
        interval=timedelta(minutes=1), anchor_date=datetime.now(UTC) - timedelta(seconds=59)
    )
    c.create_deployment_schedules(served.id, [(soon, True)])

    def completed() -> FlowRun | None:
        runs = c.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
            ),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[served.id])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
            offset=0,
        )
        return runs[0] if runs else None

    return wait_for(completed, 180, "completed scheduled run")


def test_deploy_registers_the_deployments_on_a_work_pool(
    server: str, tmp_path: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITREP_HOME", str(tmp_path / "home"))
    config = write_config(tmp_path / "sitrep.toml", {"pooled": ("idmc-gidd", samples)})
    with client(server) as c:
        c.create_work_pool(WorkPoolCreate(name="sitrep-test", type="process"))
        result = CliRunner().invoke(app, ["deploy", "--pool", "sitrep-test", "-c", str(config)])
        assert result.exit_code == 0, result.output
        pooled = c.read_deployment_by_name("sitrep-pipeline/pooled")
        whole = c.read_deployment_by_name("sitrep-pipeline/all-sources")
    assert pooled.work_pool_name == whole.work_pool_name == "sitrep-test"
    assert [s.schedule.cron for s in pooled.schedules] == [default_schedules()["idmc-gidd"]]
    assert pooled.parameters == {"only": ["pooled"]}
    assert pooled.entrypoint == "flows/pipeline.py:pipeline"


def test_a_load_reports_to_the_server_its_prefect_profile_names(
    server: str, tmp_path: Path, fixtures: Path
) -> None:
    """No PREFECT_API_URL in the environment, but the active profile names the server: the
    temporary API started speculatively is stopped unused and the run shows on the server."""
    prefect_home = tmp_path / "prefect"
    prefect_home.mkdir()
    (prefect_home / "profiles.toml").write_text(
        f'active = "here"\n\n[profiles.here]\nPREFECT_API_URL = "{server}"\n'
    )
    env = {**os.environ, "SITREP_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    path = str(fixtures / "displacement-admin0-tcd-slice.json")
    result = subprocess.run(
        [str(BIN / "sitrep"), "load", "dtm", path, "--name", "profiled"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    with client(server) as c:
        runs = [r for r in pipeline_runs(c) if r.name == "profiled"]
    assert [r.state_type for r in runs] == [StateType.COMPLETED]
