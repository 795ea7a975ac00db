"""Shared test setup: quiet telemetry, one ephemeral Prefect API for the whole session."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="sitrep-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (make stopped, a CI job cancelled) ends the run as Ctrl-C does, so fixtures that
    started a server stop it; by default SIGTERM ends Python without running them."""
    signal.signal(signal.SIGTERM, _interrupted)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real, temporary Prefect API shared by every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SITREP_HOME for one test."""
    path = tmp_path / "home"
    monkeypatch.setenv("SITREP_HOME", str(path))
    return path


TCD_SLICE = FIXTURES / "displacement-admin0-tcd-slice.json"


@pytest.fixture(scope="session")
def tcd_loaded_once(prefect_api: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SITREP_HOME after `sitrep load dtm` of the Chad admin 0 slice, loaded once per worker
    (each load is a Prefect flow run, 5-15 s); tests get copies through `tcd_home`."""
    from typer.testing import CliRunner

    from flows.cli import app

    path = tmp_path_factory.mktemp("tcd-loaded") / "home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SITREP_HOME", str(path))
        result = CliRunner().invoke(app, ["load", "dtm", str(TCD_SLICE)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def tcd_home(tcd_loaded_once: Path, home: Path) -> Path:
    """This test's own SITREP_HOME (warehouse, lake, raw files, report), a copy of the home
    `sitrep load dtm <Chad admin 0 slice>` left: the test may change it freely."""
    shutil.copytree(tcd_loaded_once, home, symlinks=True)
    return home


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    return SAMPLES
