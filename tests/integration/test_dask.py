"""SITREP_TASK_RUNNER=dask: each source runs on a Dask LocalCluster and loads what threads load."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb

from flows.pipeline import pipeline
from flows.settings import SourceConfig

BIN = Path(sys.executable).parent
TABLES = ("displacement", "articles", "quarantine", "validation_results", "load_run_tables")


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        found = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        found["loaded_runs"] = con.execute(
            "SELECT count(*) FROM load_runs WHERE status = 'loaded'"
        ).fetchone()[0]
    return found


def test_the_dask_runner_loads_the_same_rows_as_the_default_runner(
    prefect_api, tmp_path: Path, samples: Path
) -> None:
    sources = [
        SourceConfig(name="articles", kind="article-files", location=[str(samples / "articles")]),
        SourceConfig(name="dtm", kind="dtm", location=[str(samples / "dtm")]),
    ]
    default_home = tmp_path / "default"
    assert pipeline(sources, str(default_home), return_state=True).is_completed()

    config = tmp_path / "sitrep.toml"
    config.write_text(
        "".join(
            f'[[sources]]\nname = "{s.name}"\nkind = "{s.kind}"\nlocation = "{s.location[0]}"\n'
            for s in sources
        )
    )
    dask_home = tmp_path / "dask"
    prefect_home = tmp_path / "prefect"
    env = {
        **os.environ,
        "SITREP_HOME": str(dask_home),
        "SITREP_TASK_RUNNER": "dask",
        "PREFECT_HOME": str(prefect_home),
    }
    env.pop("PREFECT_API_URL", None)  # a temporary API, which the workers must report to
    result = subprocess.run(
        [str(BIN / "sitrep"), "run", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert counts(dask_home / "warehouse.duckdb") == counts(default_home / "warehouse.duckdb")
    with sqlite3.connect(prefect_home / "prefect.db") as db:
        names = {row[0] for row in db.execute("SELECT name FROM task_run")}
    assert {"run-dtm", "run-articles", "fetch-dtm", "load-dtm", "load-articles"} <= names
