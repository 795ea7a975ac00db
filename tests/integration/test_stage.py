"""The staging stage on real DTM files: every row is checked before the lake file is written,
and kept and quarantined rows each land in exactly one file, once."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from expectations import pushdown
from expectations.runner import EngineMismatchError
from flows.fetch import RawFile
from flows.settings import Settings
from flows.sources import get_kind
from flows.stage import stage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
API = FIXTURES / "dtm_api_admin1_hti_slice.json"
CSV = FIXTURES / "dtm_hdx_global_tcd.csv"


def raw(path: Path) -> RawFile:
    return RawFile(str(path), str(path), "sha", datetime(2025, 3, 1, tzinfo=UTC))


def inputs(folder: Path) -> list[RawFile]:
    """A CSV slice; an API body with an exact repeat, a conflicting twin, a non-number and a
    future date (a suite failure); and a file no DTM reader can read."""
    body = json.loads(API.read_text())
    records = body["result"]
    twin = copy.deepcopy(records[1])
    twin["numPresentIdpInd"] += 500
    bad_figure = {**copy.deepcopy(records[2]), "numPresentIdpInd": "many"}
    future = {**copy.deepcopy(records[3]), "reportingDate": "2099-01-31T00:00:00"}
    body["result"] = [*records, copy.deepcopy(records[0]), twin, bad_figure, future]
    folder.mkdir()
    api = folder / "admin1.json"
    api.write_text(json.dumps(body))
    broken = folder / "broken.json"
    broken.write_text('{"result": 3}')
    return [raw(CSV), raw(api), raw(broken)]


def test_rows_in_are_loaded_or_quarantined_each_written_once(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    raws = inputs(tmp_path / "in")
    warned: list[str] = []
    out = stage(get_kind("dtm"), "dtm", raws, "run-1", settings, warned.append)
    (part,) = out.tables
    assert part.lake_path and part.quarantine_path
    kept = pq.read_table(part.lake_path)
    held = pq.read_table(part.quarantine_path).to_pylist()
    assert part.rows_in == part.rows_loaded + part.rows_quarantined
    assert kept.num_rows == part.rows_loaded and len(held) == part.rows_quarantined
    reasons = [r["reason"] for r in held]
    assert sum(r.startswith("conflicting figures for one key") for r in reasons) == 2
    assert sum(r.startswith("exact duplicate") for r in reasons) == 1
    assert any("numPresentIdpInd: not a number" in r for r in reasons)
    assert any("later than" in r for r in reasons)
    assert any("broken.json" in r for r in reasons)  # the unreadable file, one row
    assert out.status == "failed" and out.unreadable == 1
    # No row is in both files, and no kept key repeats.
    ids = kept.column("source_record_id").to_pylist()
    assert len(ids) == len(set(ids))
    assert not {r["source_record_id"] for r in held if "conflicting" in r["reason"]} & set(ids)
    # Only the partition files remain: no spill, part or temporary file beside them.
    lake_dir = Path(part.lake_path).parent
    assert [p.name for p in lake_dir.iterdir()] == ["run-1.parquet"]
    assert not list((settings.home / "staging").iterdir())
    assert part.results and all("expectation" in r for r in part.results)


def test_nothing_reaches_the_lake_when_the_checks_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = dict(pushdown.predicates())
    # The SQL pass flags every row as null where GX finds none: the engines disagree.
    wrong["expect_column_values_to_not_be_null"] = {"counted": "TRUE", "quarantined": "FALSE"}
    monkeypatch.setattr(pushdown, "predicates", lambda: wrong)
    settings = Settings(home=tmp_path / "home")
    with pytest.raises(EngineMismatchError):
        stage(get_kind("dtm"), "dtm", [raw(CSV)], "run-1", settings, print)
    assert not (settings.home / "lake").exists()
    assert not list((settings.home / "staging").iterdir())


def test_a_spill_left_by_a_killed_run_goes_at_the_next_stage(tmp_path: Path) -> None:
    gone = [sys.executable, "-c", "import os; print(os.getpid())"]
    dead = subprocess.run(gone, text=True, capture_output=True, check=True).stdout.strip()
    left = tmp_path / "staging" / f"{dead}-run-0-abc"
    left.mkdir(parents=True)
    (left / "displacement.parquet").write_bytes(b"PAR1")
    mine = tmp_path / "staging" / f"{os.getpid()}-run-9-abc"
    mine.mkdir()
    stage(get_kind("dtm"), "dtm", [raw(CSV)], "run-1", Settings(home=tmp_path), print)
    assert not left.exists() and mine.exists()


def test_a_run_with_no_rows_writes_an_empty_lake_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"isSuccess": True, "result": []}))
    out = stage(get_kind("dtm"), "dtm", [raw(empty)], "run-1", Settings(home=tmp_path), print)
    (part,) = out.tables
    assert (part.rows_in, part.quarantine_path) == (0, None)
    assert part.lake_path
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{part.lake_path}')").fetchall()
    assert count == [(0,)]
