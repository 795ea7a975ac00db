"""One key, several rows, through the real pipeline: exact repeats keep their first row,
conflicting figures load neither (as HDX HAPI withholds them), within a file and across files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import duckdb

from flows.pipeline import run_source
from flows.settings import SourceConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
API = FIXTURES / "dtm_api_admin1_hti_slice.json"
# Other real slices loaded alongside, so that three quarantined rows stay under the 20% limit.
OTHERS = [
    FIXTURES / "dtm_api_admin0_hti_slice.json",
    FIXTURES / "displacement-admin2-hti-slice.json",
]


def load(home: Path, paths: list[Path]) -> tuple[list[tuple], list[tuple]]:
    source = SourceConfig(name="dtm", kind="dtm", location=[str(p) for p in paths])
    run_source(source, str(home))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT source_record_id, figure FROM displacement").fetchall()
        held = con.execute(
            "SELECT source_record_id, reason, record->>'figure' FROM quarantine ORDER BY ALL"
        ).fetchall()
    return rows, held


def test_conflicting_figures_for_one_key_are_both_quarantined(prefect_api, tmp_path) -> None:
    body = json.loads(API.read_text())
    records = body["result"]
    twin = copy.deepcopy(records[1])
    twin["numPresentIdpInd"] = records[1]["numPresentIdpInd"] + 500  # same key, another figure
    body["result"] = [*records, copy.deepcopy(records[0]), twin]
    path = tmp_path / "in" / "admin1.json"
    path.parent.mkdir()
    path.write_text(json.dumps(body))
    rows, held = load(tmp_path / "home", [*OTHERS, path])
    assert len(rows) == len(records) - 1 + 10 + 12  # record 1 and its twin withheld
    assert len(held) == 3
    conflict = [h for h in held if h[1].startswith("conflicting figures for one key")]
    assert sorted(int(h[2]) for h in conflict) == sorted(
        [records[1]["numPresentIdpInd"], twin["numPresentIdpInd"]]
    )
    (exact,) = [h for h in held if h[1].startswith("exact duplicate")]
    assert exact[1].endswith(f"(from {path})")
    ids = {r[0] for r in rows}
    assert exact[0] in ids and conflict[0][0] not in ids


def test_a_key_repeated_across_files_is_found_too(prefect_api, tmp_path) -> None:
    body = json.loads(API.read_text())
    first, second = tmp_path / "in" / "a.json", tmp_path / "in" / "b.json"
    first.parent.mkdir()
    first.write_text(json.dumps(body))
    body["result"][2]["numPresentIdpInd"] += 1
    second.write_text(json.dumps({**body, "result": body["result"][2:3]}))
    rows, held = load(tmp_path / "home", [*OTHERS, first, second])
    assert len(rows) == len(body["result"]) - 1 + 10 + 12
    assert [h[1].split(":")[0] for h in held] == ["conflicting figures for one key"] * 2
