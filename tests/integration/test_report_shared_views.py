"""The report computes its shared views once per connection; every view reads the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

from small_warehouse import build

from warehouse.db import connect
from warehouse.figures import MATERIALISED
from warehouse.report_data import computed_once

VIEWS = (*MATERIALISED, "country_summary")


def test_views_read_the_same_after_computed_once_and_the_file_is_untouched(
    tmp_path: Path,
) -> None:
    db = build(tmp_path / "w.duckdb")
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with connect(db, read_only=True) as con:
        before = {v: sorted(map(repr, con.execute(f"SELECT * FROM {v}").fetchall())) for v in VIEWS}
        computed_once(con)
        plan = con.execute("EXPLAIN SELECT * FROM latest_idp_stock").fetchall()
        after = {v: sorted(map(repr, con.execute(f"SELECT * FROM {v}").fetchall())) for v in VIEWS}
    assert after == before
    assert all(before[v] for v in ("idp_stock_history", "latest_idp_stock", "country_summary"))
    assert "displacement" not in str(plan)  # the temporary table is read, not the base table
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
