"""`sitrep status` without a Prefect server: the next-run column is empty and Prefect is not
imported (with a server, tests/integration/test_prefect_server.py reads it from the API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from small_warehouse import build

CODE = """
import sys
from flows.cli import main
sys.argv = ["sitrep", "status", "--format", "json"]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print("prefect imported:", any(m == "prefect" or m.startswith("prefect.") for m in sys.modules))
"""


def test_status_without_a_server_has_no_next_run_and_imports_no_prefect(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    build(home / "warehouse.duckdb")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["SITREP_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    rows_json, _, last = done.stdout.rpartition("prefect imported:")
    rows = json.loads(rows_json)
    assert rows and all(r["next_run"] is None for r in rows)
    assert last.strip() == "False"
