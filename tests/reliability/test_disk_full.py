"""A disk that fills up during a load: one clear line, and nothing of that run kept.

Each case mounts a small tmpfs as SITREP_HOME (root only), loads a small DTM file, then
fills the disk to leave a little room and loads a 60,000-row file: the run fails at the raw
copy, the lake write or the warehouse checkpoint depending on the room left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = 60_000
MiB = 2**20
TABLES = ("displacement", "quarantine", "load_run_tables", "validation_results")

pytestmark = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="mounting a small disk needs root"
)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "dtm.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "dtm", str(ROWS), str(path)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _last_run(db: Path) -> tuple[str, int, int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT status, rows_in, rows_loaded, rows_quarantined FROM load_runs "
            "ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()


def _sitrep(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The installed command as a user runs it: its own temporary Prefect API, real terminal
    streams."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SITREP_", "PREFECT_"))}
    env |= {"SITREP_HOME": str(home), "PREFECT_HOME": str(home.parent.parent / "prefect")}
    sitrep = str(Path(sys.executable).with_name("sitrep"))
    return subprocess.run(
        [sitrep, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.reliability
@pytest.mark.parametrize("room_mib", [1, 13, 16.5])
def test_a_load_that_fills_the_disk_fails_cleanly_and_the_next_converges(
    room_mib, small_disk, big_csv, samples
) -> None:
    home = small_disk / "home"
    first = _sitrep("load", "dtm", str(samples / "dtm" / "displacement-admin1-tcd.json"), home=home)
    assert first.returncode == 0, first.stderr
    db = home / "warehouse.duckdb"
    before = _counts(db)
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * int(shutil.disk_usage(small_disk).free - room_mib * MiB))

    result = _sitrep("load", "dtm", str(big_csv), home=home)

    assert result.returncode or room_mib * MiB > big_csv.stat().st_size  # the raw copy fits
    if result.returncode == 0:  # it fitted: then it loaded whole
        assert _last_run(db)[0] == "loaded"
    else:
        assert result.returncode == 2, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "No space left on device" in errors[0], result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert _counts(db) == before  # data, quarantine and checks as before the load
        assert not (home / "warehouse.duckdb.wal").exists()
        lake_files = sorted((home / "lake").rglob("*.parquet"))
        assert len(lake_files) == 1, lake_files  # the first load's partition only
        assert not list((home / "lake").rglob(".*"))  # no part or temporary file left

    filler.unlink()
    again = _sitrep("load", "dtm", str(big_csv), "--force", home=home)
    assert again.returncode == 0, again.stderr
    status, rows_in, loaded, quarantined = _last_run(db)
    assert (status, rows_in) == ("loaded", ROWS) and loaded + quarantined == ROWS
    assert _counts(db)["displacement"] == before["displacement"] + loaded
