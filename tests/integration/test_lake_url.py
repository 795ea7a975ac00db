"""The lake and quarantine at fsspec URLs (memory://, file://): written there, loaded from there."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import duckdb
import fsspec
import pytest

from flows.pipeline import pipeline
from flows.settings import SourceConfig


def one_figure_too_big(fixtures: Path, folder: Path) -> Path:
    folder.mkdir()
    payload = json.loads((fixtures / "displacement-admin0-tcd-slice.json").read_text())
    payload["result"][0]["numPresentIdpInd"] = 200_000_000  # over the expectation's maximum
    path = folder / "tcd.json"
    path.write_text(json.dumps(payload))
    return path


@pytest.mark.parametrize("scheme", ["memory", "file"])
def test_a_run_writes_the_lake_at_the_url_and_loads_from_it(
    prefect_api, home: Path, tmp_path: Path, fixtures: Path, monkeypatch, scheme: str
) -> None:
    root = f"memory://sitrep-{uuid.uuid4().hex}" if scheme == "memory" else tmp_path.as_uri()
    monkeypatch.setenv("SITREP_LAKE_URL", f"{root}/lake")
    monkeypatch.setenv("SITREP_QUARANTINE_URL", f"{root}/quarantine")
    source = SourceConfig(
        name="chad", kind="dtm", location=[str(one_figure_too_big(fixtures, tmp_path / "in"))]
    )
    assert pipeline([source], str(home), return_state=True).is_completed()
    fs, _ = fsspec.core.url_to_fs(root)
    lake = fs.glob(f"{root}/lake/displacement/source=chad/*.parquet")
    quarantined = fs.glob(f"{root}/quarantine/displacement/source=chad/*.parquet")
    assert len(lake) == 1 and len(quarantined) == 1
    assert not (home / "lake").exists() and not (home / "quarantine").exists()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM displacement").fetchone() == (5,)
        reason = con.execute("SELECT reason FROM quarantine").fetchone()[0]
    assert reason.startswith("figure be_between")
