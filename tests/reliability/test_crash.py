"""SIGKILL during a load: the warehouse opens, holds the state before or after, and converges."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from reliability.states import CRASH_LOAD, FIXTURE, fingerprint, run_load, version_b, write_spec

MAX_STEPS = 60  # far more steps than a load has; the loop ends at the first uncrashed load


@dataclass
class Scenario:
    """A warehouse holding version A, a load of version B to crash, and the reference states."""

    folder: Path
    before_db: Path
    spec_b: Path
    rerun_b: Path
    before: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]
    converged: dict[str, tuple[int, int]]
    seconds: float  # how long an uninterrupted load process takes here

    def fresh_copy(self, name: str) -> Path:
        db = self.folder / f"{name}.duckdb"
        shutil.copyfile(self.before_db, db)
        return db


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("crash")
    raw_a = FIXTURE.read_bytes()
    raw_b = version_b(raw_a)
    before_db = folder / "before.duckdb"
    assert run_load(before_db, write_spec(folder, raw_a, "run-a", "a")) == 0
    spec_b = write_spec(folder, raw_b, "run-b", "b")
    rerun_b = write_spec(folder, raw_b, "run-b2", "b2")
    after_db = folder / "after.duckdb"
    shutil.copyfile(before_db, after_db)
    started = time.monotonic()
    assert run_load(after_db, spec_b) == 0
    seconds = time.monotonic() - started
    converged_db = folder / "converged.duckdb"
    shutil.copyfile(before_db, converged_db)
    assert run_load(converged_db, rerun_b) == 0
    before, after = fingerprint(before_db), fingerprint(after_db)
    assert before["displacement"][0] == 6 and after["displacement"][0] == 4
    assert after["quarantine"][0] == before["quarantine"][0] + 1
    return Scenario(
        folder,
        before_db,
        spec_b,
        rerun_b,
        before,
        after,
        fingerprint(converged_db, data_only=True),
        seconds,
    )


def crash_and_recover(scenario: Scenario, db: Path) -> str:
    """After a crash: state is before or after; the next run converges. Returns which it was."""
    state = fingerprint(db)
    assert state in (scenario.before, scenario.after), "a crash left a state between the two"
    assert run_load(db, scenario.rerun_b) == 0
    assert fingerprint(db, data_only=True) == scenario.converged
    return "before" if state == scenario.before else "after"


def crash_at_steps(scenario: Scenario, steps: range | list[int | str]) -> list[str]:
    """Crash a load of B at each step; the outcome of each ('before'/'after'), up to the end."""
    seen = []
    for step in steps:
        db = scenario.fresh_copy(f"step{step}")
        if run_load(db, scenario.spec_b, crash_after=step) == 0:
            return seen
        seen.append(crash_and_recover(scenario, db))
    return seen


def test_crash_before_and_after_commit(scenario: Scenario) -> None:
    # Step 2: the first rows deleted, not committed. "commit": committed, not closed.
    assert crash_at_steps(scenario, [2, "commit"]) == ["before", "after"]


@pytest.mark.reliability
def test_crash_at_every_load_step(scenario: Scenario) -> None:
    seen = crash_at_steps(scenario, range(1, MAX_STEPS + 1))
    assert len(seen) < MAX_STEPS, f"the load still crashed after {MAX_STEPS} steps"
    assert len(seen) >= 5, "the loader has fewer crash points than expected"
    assert "before" in seen and "after" in seen


def test_crash_into_a_new_warehouse_leaves_it_usable(scenario: Scenario) -> None:
    reference = scenario.folder / "new-reference.duckdb"
    assert run_load(reference, scenario.rerun_b) == 0
    db = scenario.folder / "new.duckdb"
    assert run_load(db, scenario.spec_b, crash_after=1) == -9
    assert fingerprint(db).get("displacement", (0, 0))[0] == 0
    assert run_load(db, scenario.rerun_b) == 0
    assert fingerprint(db, data_only=True) == fingerprint(reference, data_only=True)


@pytest.mark.reliability
def test_kill_after_random_delays(scenario: Scenario) -> None:
    rng = random.Random(20250301)
    outcomes = {"before": 0, "after": 0, "finished": 0}
    for attempt in range(15):
        db = scenario.fresh_copy(f"random{attempt}")
        proc = subprocess.Popen(
            [sys.executable, str(CRASH_LOAD), str(db), str(scenario.spec_b)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.4, 1.05) * scenario.seconds)  # mostly while it loads
        proc.send_signal(signal.SIGKILL)
        if proc.wait() == 0:
            outcomes["finished"] += 1
            assert fingerprint(db) == scenario.after
            continue
        outcomes[crash_and_recover(scenario, db)] += 1
    print(f"random kills: {outcomes}")
    assert outcomes["before"] and outcomes["after"] + outcomes["finished"]
