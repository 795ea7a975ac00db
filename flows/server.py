"""A local Prefect server (API, UI, scheduler) on 127.0.0.1 for `sitrep serve --start-server`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from flows.watched import watched
from transforms.errors import SitrepError


class ServerStartError(SitrepError, RuntimeError):
    """The Prefect server did not answer /api/health in time."""


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_server(
    prefect_home: Path,
    port: int = 4200,
    timeout: float = 120.0,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Run `prefect server start --host 127.0.0.1` until the block ends (or this process does,
    however it ends); yields the API URL.

    The server keeps its database in `prefect_home`, so runs made earlier with a temporary API
    in the same PREFECT_HOME show in the UI; its log goes to `prefect_home/server.log`.
    `extra_env` sets server settings, e.g. PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS.
    """
    prefect_home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        **(extra_env or {}),
    }
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).parent / "prefect"
    command = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with (prefect_home / "server.log").open("ab") as log:
        process = subprocess.Popen(  # stopped with this process even if it is killed
            watched(command),
            env=env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_healthy(api, process, timeout)
        yield api
    finally:
        stop_group(process)


def wait_healthy(api: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll `<api>/health` until it answers 200; fail early if the server exits."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerStartError(f"prefect server exited with code {process.returncode}")
            try:
                if client.get(f"{api}/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise ServerStartError(f"prefect server at {api} not healthy after {timeout:.0f} s")


def stop_group(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the server's process group, SIGKILL it after `timeout` s; leaves no process."""
    with suppress(OSError):
        if process.stdin:
            process.stdin.close()
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
    process.wait()
