"""Processes at once: writers take turns, readers see the old or the new state, nothing is lost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from reliability.states import (
    CRASH_LOAD,
    FIXTURE,
    fingerprint,
    run_load,
    version_b,
    write_spec,
)
from warehouse.connection_limits import Limits
from warehouse.db import WarehouseBusyError, connect
from warehouse.load import LoadRequest, load, lock_for
from warehouse.query import run_query

ROOT = Path(__file__).resolve().parents[2]
COUNT = "SELECT count(*) FROM displacement"


def hold(db: Path, seconds: float, read_only: bool) -> subprocess.Popen[str]:
    """A process that opens the warehouse, says so, and keeps it open for `seconds`."""
    code = textwrap.dedent(
        f"""
        import time, duckdb
        con = duckdb.connect({str(db)!r}, read_only={read_only})
        print("open", flush=True)
        time.sleep({seconds})
        con.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    return proc


@pytest.fixture(scope="module")
def loaded_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A warehouse with version A loaded (by a load process, about 6 s), and load specs for
    versions A and B; made once per module."""
    folder = tmp_path_factory.mktemp("loaded")
    raw = FIXTURE.read_bytes()
    spec_a = write_spec(folder, raw, "run-a", "a")
    spec_b = write_spec(folder, version_b(raw), "run-b", "b")
    db = folder / "warehouse.duckdb"
    assert run_load(db, spec_a) == 0
    return db, spec_a, spec_b


@pytest.fixture
def loaded(loaded_once: tuple[Path, Path, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    """This test's own copy of that warehouse; the specs and their files are only read."""
    db, spec_a, spec_b = loaded_once
    assert not db.with_name(db.name + ".wal").exists()  # the copy is the whole state
    shutil.copy2(db, tmp_path / db.name)
    return tmp_path / db.name, spec_a, spec_b


def test_reader_waits_for_a_writer(loaded) -> None:
    db, _, _ = loaded
    writer = hold(db, 1.5, read_only=False)
    _, rows = run_query(db, COUNT, limits=Limits(lock_wait=30))
    assert writer.wait() == 0
    assert rows == [(6,)]


def test_writer_waits_for_a_reader(loaded, monkeypatch) -> None:
    db, _, spec_b = loaded
    monkeypatch.setenv("SITREP_LOCK_WAIT", "30")
    reader = hold(db, 1.5, read_only=True)
    assert run_load(db, spec_b) == 0
    assert reader.wait() == 0
    assert run_query(db, COUNT)[1] == [(4,)]


def test_busy_warehouse_fails_with_a_clear_message(loaded, monkeypatch) -> None:
    db, _, _ = loaded
    writer = hold(db, 3, read_only=False)
    try:
        with pytest.raises(
            WarehouseBusyError, match=r"in use by another process.*SITREP_LOCK_WAIT"
        ):
            connect(db, read_only=True, limits=Limits(lock_wait=0.3))
        monkeypatch.setenv("SITREP_LOCK_WAIT", "0.3")
        monkeypatch.setenv("SITREP_HOME", str(db.parent))
        from typer.testing import CliRunner

        from flows.cli import app

        result = CliRunner().invoke(app, ["query", COUNT])
        assert result.exit_code == 2
        assert "in use by another process" in result.output
    finally:
        writer.wait()


def test_a_lock_holder_can_load_without_waiting_on_itself(loaded) -> None:
    db, _, _ = loaded
    request = LoadRequest("run-empty", "dtm-live", "dtm", datetime.now(UTC), [])
    with lock_for(db, wait=2):
        load(db, request, limits=Limits(lock_wait=2))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM load_runs").fetchone() == (2,)


def test_readers_during_loads_see_old_or_new_state(loaded, monkeypatch) -> None:
    db, _, _ = loaded
    monkeypatch.setenv("SITREP_LOCK_WAIT", "60")
    raw = FIXTURE.read_bytes()
    versions = [version_b(raw), raw]
    specs = [str(write_spec(db.parent, v, f"run-{i}", f"v{i}")) for i, v in enumerate(versions)]
    script = (
        "import subprocess, sys\n"
        f"for spec in {specs!r}:\n"
        f"    subprocess.run([sys.executable, {str(CRASH_LOAD)!r}, {str(db)!r}, spec], check=True)"
    )
    writer = subprocess.Popen([sys.executable, "-c", script])
    seen = []
    while writer.poll() is None:
        seen.append(run_query(db, COUNT, limits=Limits(lock_wait=60))[1][0][0])
        time.sleep(0.01)
    assert writer.returncode == 0
    assert set(seen) <= {6, 4}, f"a reader saw a state between two loads: {set(seen)}"
    assert len(seen) > 10
    assert run_query(db, COUNT)[1] == [(6,)]


def sitrep_run(home: Path, config: Path, api_url: str) -> subprocess.Popen[str]:
    """`sitrep run --config F` as its own process with its own SITREP_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SITREP_", "PREFECT_"))}
    env.update(SITREP_HOME=str(home), PREFECT_HOME=str(home / "prefect"), PREFECT_API_URL=api_url)
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("sitrep")), "run", "--config", str(config)],
        env=env,
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(procs: list[subprocess.Popen[str]]) -> None:
    """Wait for every run; each must succeed."""
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]


@pytest.mark.reliability
def test_two_runs_at_once_with_a_prefect_server(prefect_api, tmp_path, samples) -> None:
    """Two runs at once into one home, then one alone: nothing lost, nothing half-loaded."""
    from prefect.settings import PREFECT_API_URL

    api_url = str(PREFECT_API_URL.value())
    config = tmp_path / "sitrep.toml"
    config.write_text(f'[[sources]]\nname = "dtm"\nkind = "dtm"\nlocation = "{samples / "dtm"}"\n')
    both, alone = tmp_path / "both", tmp_path / "alone"
    finish([sitrep_run(both, config, api_url), sitrep_run(both, config, api_url)])
    finish([sitrep_run(alone, config, api_url)])
    db = both / "warehouse.duckdb"
    assert fingerprint(db, data_only=True) == fingerprint(alone / "warehouse.duckdb", True)
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT status, count(*) FROM load_runs GROUP BY ALL").fetchall()
        unbalanced = con.execute(
            "SELECT count(*) FROM load_run_tables WHERE rows_in <> rows_loaded + rows_quarantined"
        ).fetchone()
    assert runs == [("loaded", 2)]
    assert unbalanced == (0,)
