"""The small commands import only what they use: no Prefect, Great Expectations or matplotlib.

Each command runs in a fresh Python process on a real warehouse file (its figures
materialised); after it, the process writes the names of the modules it had loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from small_warehouse import build

from warehouse.db import transaction
from warehouse.figures import refresh

HEAVY = ("prefect", "great_expectations", "matplotlib")
RUN = """
import json, os, sys
from flows.cli import main
sys.argv = ["sitrep", *sys.argv[2:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(os.environ["MODULES_OUT"], "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


@pytest.fixture
def warehouse(home: Path) -> Path:
    home.mkdir(parents=True)
    db = build(home / "warehouse.duckdb")
    with duckdb.connect(str(db)) as con, transaction(con):
        refresh(con, None)
    return db


def modules_after(home: Path, tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    """The exit code of `sitrep ARGS` and the top-level modules the process had imported."""
    out = tmp_path / "modules.json"
    env = os.environ | {"SITREP_HOME": str(home), "MODULES_OUT": str(out)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, "sitrep", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), done.stderr
    found = json.loads(out.read_text())
    return found["code"], sorted({m.split(".")[0] for m in found["modules"]})


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("status", "--format", "json"),
        ("query", "--name", "countries", "--param", "iso3=COD"),
        ("query", "select count(*) from preferred_idp_figure", "--format", "csv"),
        (
            "query",
            "--list",
        ),
    ],
)
def test_small_commands_import_no_heavy_library(
    warehouse: Path, home: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    code, modules = modules_after(home, tmp_path, *args)
    assert code == 0
    assert "duckdb" in modules or args == ("query", "--list")
    assert [m for m in HEAVY if m in modules] == []


def test_a_wrong_kind_is_refused_before_prefect(home: Path, tmp_path: Path) -> None:
    code, modules = modules_after(home, tmp_path, "load", "dmt", str(tmp_path / "x.json"))
    assert code == 2
    assert [m for m in HEAVY if m in modules] == []


def test_a_missing_file_is_refused_before_prefect(home: Path, tmp_path: Path) -> None:
    code, modules = modules_after(home, tmp_path, "load", "dtm", str(tmp_path / "missing.json"))
    assert code == 2
    assert [m for m in HEAVY if m in modules] == []


def test_a_bad_config_is_refused_before_prefect(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "sitrep.toml"
    config.write_text('[[sources]]\nname = "x"\nkind = "nope"\nlocation = "a.json"\n')
    code, modules = modules_after(home, tmp_path, "run", "--config", str(config))
    assert code == 2
    assert [m for m in HEAVY if m in modules] == []
