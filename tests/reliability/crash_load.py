"""Run one warehouse load described by a JSON file, as its own process, so a test can kill it.

usage: python tests/reliability/crash_load.py WAREHOUSE SPEC.json
(SITREP_CRASH_AFTER=N makes the loader SIGKILL itself at its Nth step.)
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from warehouse.load import LoadRequest, TableLoad, load


def request_from(spec: dict) -> LoadRequest:
    """The LoadRequest a spec describes (tables as TableLoad keyword dicts)."""
    return LoadRequest(
        load_run_id=spec["load_run_id"],
        source=spec["source"],
        kind=spec["kind"],
        started_at=datetime.fromisoformat(spec["started_at"]),
        tables=[TableLoad(**t) for t in spec["tables"]],
        replace_urls=spec["replace_urls"],
    )


if __name__ == "__main__":
    warehouse, spec_path = Path(sys.argv[1]), Path(sys.argv[2])
    load(warehouse, request_from(json.loads(spec_path.read_text())))
