"""A temporary Prefect API for one `sitrep` command: started first, stopped when it ends.

It is `prefect server start` on a free loopback port, configured only through Prefect's
documented settings: no UI, no telemetry, none of the loop services a one-shot run never uses
(the services Prefect's own ephemeral mode leaves out). Started as the command's first step, it
boots on the other core while the command imports the pipeline and Great Expectations. Its
database stays in PREFECT_HOME, so a `prefect server` started later on that home shows the runs.

Run as `python -m flows.api_server PORT`, a small stdlib-only watcher of that server: the
server stops when the watcher's standard input closes, that is when the command that started it
exits, however it exits (even `kill -9`).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from flows.server import ServerStartError, free_port, stop_group, wait_healthy
from flows.watched import watch

# Set while a command runs on its own temporary API: no other process reports to it.
TEMPORARY_API_ENV = "SITREP_TEMPORARY_API"
STARTUP_TIMEOUT = 120.0

# Loop services of a long-lived server that a one-shot run never needs.
IDLE_SERVICES = (
    "SCHEDULER",
    "LATE_RUNS",
    "FOREMAN",
    "CANCELLATION_CLEANUP",
    "PAUSE_EXPIRATIONS",
    "REPOSSESSOR",
    "CLEANUP_RECONCILER",
    "DB_VACUUM",
    "TRIGGERS",
)
SERVER_ENV = {
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    **{f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in IDLE_SERVICES},
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


def api_set() -> bool:
    """True when PREFECT_API_URL is set in the environment or in Prefect's settings if they are
    already imported (a test harness); never imports Prefect (about 3 s)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    return "prefect.settings" in sys.modules and api_configured()


def api_configured() -> bool:
    """True when Prefect's settings (environment, active profile, .env) name an API URL."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


@contextmanager
def prefect_api(prefect_home: Path) -> Iterator[Callable[[], AbstractContextManager[object]]]:
    """Start a temporary API unless an API URL is set; yields `serving` for the flow call.

    Do the slow imports, then run flows inside `with serving():`, which waits for the server
    and points this process and the processes it starts (Dask workers) at it. The server is
    started before Prefect is imported, so only `api_set` is checked then; when Prefect's settings
    name a server after all (the active profile), the temporary one is stopped unused. It stops
    when the process exits, after Prefect has sent its queued log lines and events (Prefect does
    that when the interpreter's threads shut down, before `atexit` handlers run).
    """
    if api_set():
        yield nullcontext
        return
    prefect_home.mkdir(parents=True, exist_ok=True)
    api = TemporaryApi(prefect_home)
    atexit.register(api.stop)

    @contextmanager
    def serving() -> Iterator[None]:
        if api_configured():  # a profile names a server: report there
            api.stop()
            yield
            return
        with api.serving():
            yield

    yield serving


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _serve(port: str) -> int:
    """`prefect server start` on 127.0.0.1:PORT until it exits or standard input closes."""
    prefect = str(Path(sys.executable).parent / "prefect")
    return watch([prefect, "server", "start", "--host", "127.0.0.1", "--port", port, "--no-ui"])


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1]))
