"""The temporary Prefect API of `sitrep run/load`: stopped with the command, runs kept."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.server import free_port, local_server
from flows.warehouse_slot import LIMIT

BIN = Path(sys.executable).parent


def servers_of(prefect_home: Path) -> list[tuple[int, int]]:
    """(pid, port) of every `python -m flows.api_server PORT` whose PREFECT_HOME is this one."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"flows.api_server" in argv and f"PREFECT_HOME={prefect_home}".encode() in environ:
            found.append((int(proc.name), int(argv[argv.index(b"flows.api_server") + 1])))
    return found


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def sitrep(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SITREP_HOME": str(home)}
    for key in ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_LOGGING_LEVEL", "SITREP_TEMPORARY_API"):
        env.pop(key, None)
    return subprocess.Popen(
        [str(BIN / "sitrep"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def server_while_running(run: subprocess.Popen[str], prefect_home: Path) -> tuple[int, int]:
    """The command's temporary API, seen while the command runs."""
    deadline = time.monotonic() + 60
    while not (seen := servers_of(prefect_home)):
        assert run.poll() is None, run.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "no temporary API process appeared"
        time.sleep(0.1)
    assert len(seen) == 1
    return seen[0]


def alive(pid: int) -> bool:
    """True while pid runs; a zombie (exited, its orphan's reaper not yet come) is not alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def assert_gone(pid: int, port: int, prefect_home: Path, within: float = 0.0) -> None:
    deadline = time.monotonic() + within
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)
    assert servers_of(prefect_home) == []
    assert not port_open(port)


@pytest.mark.server
def test_a_load_stops_its_api_and_a_prefect_server_on_the_home_shows_the_run(
    tmp_path: Path, fixtures: Path
) -> None:
    home = tmp_path / "home"
    run = sitrep(home, "load", "dtm", str(fixtures / "displacement-admin0-tcd-slice.json"))
    pid, port = server_while_running(run, home / "prefect")
    output = run.communicate(timeout=300)[0]
    assert run.returncode == 0, output[-3000:]
    assert_gone(pid, port, home / "prefect")

    with (
        local_server(home / "prefect", free_port()) as api,
        temporary_settings(updates={PREFECT_API_URL: api}),
        get_client(sync_client=True) as client,
    ):
        runs = client.read_flow_runs(limit=10, sort=FlowRunSort.START_TIME_DESC)
        top = [r for r in runs if r.parent_task_run_id is None]
        assert [(r.name, r.state_type.value if r.state_type else None) for r in top] == [
            ("dtm", "COMPLETED")
        ]
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[r.id for r in runs])),
            limit=50,
            offset=0,
            sort=TaskRunSort.EXPECTED_START_TIME_DESC,
        )
        assert {"fetch-dtm", "stage-dtm", "load-dtm"} <= {t.name for t in tasks}
        assert client.read_logs(limit=50, offset=0)  # the run's log lines reached the database
        with pytest.raises(ObjectNotFound):  # one process: the file lock alone arbitrates
            client.read_global_concurrency_limit_by_name(LIMIT)


def test_a_failing_load_still_stops_its_api(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "not-dtm.csv"
    bad.write_text("name,colour\nwidget,blue\n")
    run = sitrep(home, "load", "dtm", str(bad))
    pid, port = server_while_running(run, home / "prefect")
    output = run.communicate(timeout=300)[0]
    assert run.returncode == 2, output[-3000:]
    assert "error:" in output
    assert_gone(pid, port, home / "prefect")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_or_killed_command_leaves_no_api_behind(
    tmp_path: Path, samples: Path, sig: signal.Signals
) -> None:
    home = tmp_path / "home"
    run = sitrep(home, "load", "dtm", str(samples / "dtm"))
    pid, port = server_while_running(run, home / "prefect")
    run.send_signal(sig)
    run.communicate(timeout=60)
    assert run.returncode != 0
    assert_gone(pid, port, home / "prefect", within=15)


@pytest.mark.server
def test_a_killed_process_leaves_no_prefect_server_behind(tmp_path: Path) -> None:
    """`local_server` (make ui, the server tests) in a process that is then SIGKILLed, as an
    xdist worker is when `make test` is stopped: its server stops too."""
    port = free_port()
    code = (
        "import sys, time\nfrom pathlib import Path\nfrom flows.server import local_server\n"
        f"with local_server(Path({str(tmp_path / 'prefect')!r}), {port}):\n"
        "    print('up', flush=True)\n    time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "up"
    assert port_open(port)
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 30
    while port_open(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not port_open(port)
