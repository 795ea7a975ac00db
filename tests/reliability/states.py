"""Warehouse states for crash tests: real lake files to load, and fingerprints to compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from flows import lake
from transforms import dtm
from transforms.lineage import Origin
from transforms.parsed import rejects_frame
from transforms.schema import conform

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "displacement-admin0-tcd-slice.json"
CRASH_LOAD = Path(__file__).with_name("crash_load.py")
SOURCE_URL = "https://dtm.example.org/displacement-admin0-tcd.json"
BOOKKEEPING = {"load_runs", "load_run_tables", "validation_results", "_migrations"}


def version_b(raw: bytes) -> bytes:
    """The same file revised: three figures changed, one record gone, one unreadable figure."""
    body = json.loads(raw)
    rows = body["result"]
    for row in rows[:3]:
        row["numPresentIdpInd"] = int(row["numPresentIdpInd"]) + 1000
    rows[-1]["numPresentIdpInd"] = "n/a"
    del rows[-2]
    return json.dumps(body).encode()


def write_spec(folder: Path, raw: bytes, run_id: str, name: str) -> Path:
    """Lake and quarantine files for one load of `raw` (DTM JSON), and the spec to load them."""
    origin = Origin("dtm-live", SOURCE_URL, datetime(2025, 3, 1, tzinfo=UTC), run_id)
    parsed = dtm.parse(raw, origin)
    good = parsed.tables["displacement"]
    bad = parsed.rejects.get("displacement", [])
    lake_path = folder / f"{name}.parquet"
    lake.write_atomic(lake_path, conform(good, "displacement"))
    q_path = None
    if bad:
        q_path = str(folder / f"{name}.quarantine.parquet")
        lake.write_quarantine(Path(q_path), rejects_frame(bad).assign(source_url=SOURCE_URL))
    table = {
        "table": "displacement",
        "lake_path": str(lake_path),
        "quarantine_path": q_path,
        "rows_in": len(good) + len(bad),
        "rows_loaded": len(good),
        "rows_quarantined": len(bad),
    }
    spec = {
        "load_run_id": run_id,
        "source": "dtm-live",
        "kind": "dtm",
        "started_at": origin.retrieved_at.isoformat(),
        "tables": [table],
        "replace_urls": [SOURCE_URL],
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(spec))
    return path


def run_load(db: Path, spec: Path, crash_after: int | str | None = None) -> int:
    """Load `spec` into `db` in a child process; its return code (-9 when it was killed)."""
    env = {k: v for k, v in os.environ.items() if k != "SITREP_CRASH_AFTER"}
    if crash_after is not None:
        env["SITREP_CRASH_AFTER"] = str(crash_after)
    done = subprocess.run(
        [sys.executable, str(CRASH_LOAD), str(db), str(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, -9):
        raise AssertionError(f"load failed without being killed:\n{done.stderr[-2000:]}")
    return done.returncode


def fingerprint(db: Path, data_only: bool = False) -> dict[str, tuple[int, int]]:
    """Per table: row count and a content hash (timestamps left out, run ids too if data_only).

    Opening read-write replays the write-ahead log, as the next run would. The materialised
    figures (schema `figures`) count as tables, named `figures.<view>`.
    """
    with duckdb.connect(str(db)) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT CASE schema_name WHEN 'main' THEN '' ELSE schema_name || '.' END "
                "|| table_name FROM duckdb_tables() WHERE schema_name IN ('main', 'figures') "
                "AND NOT temporary ORDER BY 1"
            ).fetchall()
        ]
        return {
            t: _table_print(con, t, data_only)
            for t in tables
            if not (data_only and t in BOOKKEEPING)
        }


def _table_print(con: duckdb.DuckDBPyConnection, table: str, data_only: bool) -> tuple[int, int]:
    schema, _, name = table.rpartition(".")
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE table_name = ? AND schema_name = ? ORDER BY column_index",
        [name, schema or "main"],
    ).fetchall()
    kept = [
        f'"{name}"'
        for name, kind in columns
        if "TIMESTAMP" not in kind and not (data_only and name.endswith("run_id"))
    ]
    row = f"to_json(struct_pack({', '.join(kept)}))" if kept else "'x'"
    quoted = ".".join(f'"{part}"' for part in table.split("."))
    result: Any = con.execute(
        f"SELECT count(*), coalesce(sum(hash({row})), 0)::VARCHAR FROM {quoted}"
    ).fetchone()
    return int(result[0]), int(result[1])
