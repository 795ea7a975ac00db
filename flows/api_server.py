"""A temporary Prefect API for one `sitrep` command: started first, stopped when it ends.

Prefect's own ephemeral mode starts the same server only when the first flow runs, after
importing the server stack into the command's process (about 2.5 s) and waiting for it. Started
here as the command's first step, it boots on the other core while the command imports the
pipeline and Great Expectations. Its database stays in PREFECT_HOME, so a `prefect server`
started later on that home shows these runs.

Run as `python -m flows.api_server PORT`: the server stops when its standard input closes,
that is when the command that started it exits, however it exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from flows.server import ServerStartError, free_port, stop_group, wait_healthy

# Set while a command runs on its own temporary API: no other process reports to it.
TEMPORARY_API_ENV = "SITREP_TEMPORARY_API"
STARTUP_TIMEOUT = 120.0

# What Prefect's ephemeral server runs (`PREFECT__SERVER_EPHEMERAL`: only the services a flow
# run needs, the task run recorder and the event persister among them), less the UI, telemetry
# and automation triggers, which a one-shot run never uses.
SERVER_ENV = {
    "PREFECT_UI_ENABLED": "false",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
}
# Written once the database of a PREFECT_HOME is migrated for this Prefect version.
MIGRATED_MARK = "sitrep-migrated"


class TemporaryApi:
    """A running temporary API process and the URL clients use."""

    def __init__(self, prefect_home: Path) -> None:
        self.home = prefect_home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = prefect_home / "temporary-api.log"
        self.migrating = not _migrated(prefect_home)
        self.process = _spawn(prefect_home, self.port, self.log, self.migrating)

    def wait(self) -> str:
        """Block until /api/health answers; the API URL."""
        try:
            wait_healthy(self.url, self.process, STARTUP_TIMEOUT)
        except ServerStartError as exc:
            raise ServerStartError(f"{exc}; see {self.log}") from None
        if self.migrating:
            _mark_migrated(self.home)
        return self.url

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Wait for the server, then report to it from here and from child processes."""
        from prefect.settings import PREFECT_API_URL, temporary_settings

        url = self.wait()
        saved = {key: os.environ.get(key) for key in ("PREFECT_API_URL", TEMPORARY_API_ENV)}
        os.environ.update({"PREFECT_API_URL": url, TEMPORARY_API_ENV: "1"})
        try:
            with temporary_settings(updates={PREFECT_API_URL: url}):
                yield
        finally:
            _restore(saved)

    def stop(self) -> None:
        """Stop the server and everything it started."""
        stop_group(self.process, timeout=10)


def _spawn(home: Path, port: int, log: Path, migrate: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, **SERVER_ENV, "PREFECT_HOME": str(home)}
    env["PREFECT_API_DATABASE_MIGRATE_ON_START"] = "true" if migrate else "false"
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "flows.api_server", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _migrated(home: Path) -> bool:
    """True when this home's database was migrated by the installed Prefect version."""
    from importlib.metadata import version

    if "PREFECT_API_DATABASE_CONNECTION_URL" in os.environ:
        return False  # another database: let the server check it
    mark = home / MIGRATED_MARK
    database = home / "prefect.db"
    return database.exists() and mark.exists() and mark.read_text() == version("prefect")


def _mark_migrated(home: Path) -> None:
    from importlib.metadata import version

    (home / MIGRATED_MARK).write_text(version("prefect"))


def api_configured() -> bool:
    """True when PREFECT_API_URL points at a server: environment, Prefect profile or settings."""
    if os.environ.get("PREFECT_API_URL") or _profile_api_url():
        return True
    if "prefect.settings" not in sys.modules:
        return False  # not imported yet: only the environment and the profile can set it
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def _profile_api_url() -> str | None:
    """PREFECT_API_URL of the active Prefect profile, read without importing Prefect."""
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    path = Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml"))
    try:
        profiles = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active", "ephemeral")
    url = profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(url) if url else None


@contextmanager
def prefect_api(prefect_home: Path) -> Iterator[Callable[[], AbstractContextManager[object]]]:
    """Start a temporary API unless one is configured; yields `serving` for the flow call.

    Do the slow imports, then run flows inside `with serving():`, which waits for the server
    and points this process and the processes it starts (Dask workers) at it. The server stops
    when the outer block ends, after the queued log lines and events are sent.
    """
    if api_configured():
        yield nullcontext
        return
    prefect_home.mkdir(parents=True, exist_ok=True)
    api = TemporaryApi(prefect_home)
    try:
        yield api.serving
    finally:
        _flush_prefect_clients()
        api.stop()


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _flush_prefect_clients() -> None:
    """Send the log lines and events still queued in this process before the API goes away."""
    if "prefect.events.worker" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)


def _stop_when_parent_exits() -> None:
    """SIGTERM this server when standard input closes (the command ended or was killed)."""

    def watch() -> None:
        sys.stdin.buffer.read()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    """Serve Prefect's API on 127.0.0.1:PORT as its ephemeral mode does, until stdin closes."""
    import uvicorn

    _stop_when_parent_exits()
    uvicorn.run(
        "prefect.server.api.server:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="error",
        lifespan="on",
    )


if __name__ == "__main__":
    main()
