"""Every setting lives in `flows.settings.Settings`, is documented, and reaches the warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.settings import Settings
from warehouse.connection_limits import Limits
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[2]
DOCS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)
ENV_READ = re.compile(r"os\.environ\b(?!\.(setdefault|update|pop)\b)|getenv\(")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_by_its_environment_name(name: str) -> None:
    assert f"SITREP_{name.upper()}" in DOCS, f"SITREP_{name.upper()} is not in README or docs/"


@pytest.mark.parametrize("layer", ["warehouse", "transforms"])
def test_the_lower_layers_read_no_environment(layer: str) -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ENV_READ.search(line)
    ]
    assert readers == [], "settings come down from flows.settings.Settings"


def test_flows_read_sitrep_variables_only_through_settings() -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "flows").rglob("*.py"))
        if path.name != "settings.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "SITREP_" in line and ENV_READ.search(line)
    ]
    assert readers == []


def test_lock_wait_and_duckdb_memory_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SITREP_LOCK_WAIT", "2.5")
    monkeypatch.setenv("SITREP_DUCKDB_MEMORY", "96MB")
    assert Settings().warehouse_limits == Limits(lock_wait=2.5, memory="96MB")
    monkeypatch.delenv("SITREP_DUCKDB_MEMORY")
    assert Settings().warehouse_limits == Limits(lock_wait=2.5, memory=None)


def memory_limit(db: Path, limits: Limits, memory: str) -> str:
    with connect(db, limits=limits, memory=memory) as con:
        row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def test_the_memory_setting_replaces_each_roles_own_cap(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    own = memory_limit(db, Limits(), "300MB")
    overridden = memory_limit(db, Limits(memory="96MB"), "300MB")
    assert own.startswith("286") and overridden.startswith("91"), (own, overridden)
