"""A DTM CSV larger than one block through the real pipeline: loaded batch by batch, whole or
not at all per file, and the warehouse without the displacement key index (migration 005)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import State

from flows import lake
from flows.pipeline import PipelineFailedError, pipeline, run_source
from flows.settings import SourceConfig
from transforms import hxl_tags
from warehouse.db import MIGRATIONS, connect, migrate

HEADER = (
    "id,operation,admin0Pcode,admin1Name,admin1Pcode,adminLevel,numPresentIdpInd,"
    "reportingDate,assessmentType\n"
)
HXL = "#id,#operation,#country+code,#adm1+name,#adm1+code,#adm+level,#affected+idps,#date,#x\n"


def write_dtm(path: Path, rows: int, bad_level_at: int | None = None) -> Path:
    lines = [HEADER, HXL]
    for n in range(rows):
        level = 7 if n == bad_level_at else 1
        lines.append(f"{n},Op {n},TCD,Lac,TCD07,{level},{100 + n},2024-01-01,BA\n")
    path.write_text("".join(lines))
    return path


def counts(db: Path) -> tuple[int, int, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM displacement").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        runs = con.execute(
            "SELECT rows_in, rows_loaded, rows_quarantined FROM load_run_tables ORDER BY 1"
        ).fetchall()
    return rows, quarantined, runs


def test_batches_load_every_row_and_a_file_failing_late_is_dropped_whole(
    prefect_api, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hxl_tags, "BLOCK_BYTES", 4096)  # many batches from small files
    good = write_dtm(tmp_path / "good.csv", 900)
    bad = write_dtm(tmp_path / "bad.csv", 900, bad_level_at=850)
    source = SourceConfig(name="dtm", kind="dtm", location=[str(good), str(bad)])
    with pytest.raises(PipelineFailedError, match=r"bad.csv row 853 field adminLevel"):
        run_source(source, str(home))
    rows, quarantined, runs = counts(home / "warehouse.duckdb")
    assert rows == 900  # every row of good.csv, none of bad.csv's earlier batches
    assert quarantined == 1
    assert runs == [(901, 900, 1)]
    assert not list((home / "lake").rglob(".*"))  # no part file left behind


def test_table_writer_joins_the_parts_of_several_files(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("n", pa.int64())])
    writer = lake.TableWriter(str(tmp_path / "t" / "run.parquet"), schema)
    for first in (0, 10):
        with writer.file():
            for start in (first, first + 5):
                writer.write(pa.table({"n": list(range(start, start + 5))}, schema=schema))
    with pytest.raises(RuntimeError), writer.file():
        writer.write(pa.table({"n": [99]}, schema=schema))
        raise RuntimeError("unreadable halfway")
    path = writer.close()
    assert writer.rows == 20
    assert duckdb.connect().execute(f"SELECT list(n ORDER BY n) FROM '{path}'").fetchone()[
        0
    ] == list(range(20))
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["run.parquet"]


def test_migration_005_keeps_rows_and_comments_and_drops_the_key_index(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        for path in sorted(MIGRATIONS.glob("00[1-4]_*.sql")):
            con.execute(path.read_text())
        con.execute(
            "INSERT INTO displacement (source, source_record_id, figure) VALUES ('s', 'r', 5)"
        )
        con.execute("CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                    "applied_at TIMESTAMPTZ DEFAULT now())")  # fmt: skip
        con.execute(
            "INSERT INTO _migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')"
        )
    with connect(db) as con:
        assert migrate(con)[0] == "005_displacement_keyless.sql"
        assert con.execute("SELECT source_record_id, figure FROM displacement").fetchall() == [
            ("r", 5)
        ]
        kinds = con.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'displacement'"
        ).fetchall()
        assert ("PRIMARY KEY",) not in kinds and ("NOT NULL",) in kinds
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name = 'displacement' AND column_name = 'record_hash'"
        ).fetchone()[0]
        assert comment.startswith("Hash of the row content")


def test_a_rerun_with_the_same_inputs_is_recorded_unchanged_and_force_loads_again(
    prefect_api, home: Path, tmp_path: Path
) -> None:
    source = SourceConfig(name="dtm", kind="dtm", location=[str(write_dtm(tmp_path / "a.csv", 50))])
    assert run_source(source, str(home)).status == "loaded"
    assert run_source(source, str(home)).status == "unchanged"
    assert run_source(source, str(home), force=True).status == "loaded"
    write_dtm(tmp_path / "a.csv", 60)  # new bytes at the same location
    assert run_source(source, str(home)).status == "loaded"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        statuses = con.execute("SELECT status FROM load_runs ORDER BY started_at").fetchall()
        rows = con.execute("SELECT count(*) FROM displacement").fetchone()
    assert [s for (s,) in statuses] == ["loaded", "unchanged", "loaded", "loaded"]
    assert rows == (60,)


def subflow_names(state: State) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(
                    any_=[state.state_details.flow_run_id]
                )
            ),
            sort=FlowRunSort.START_TIME_DESC,
            limit=10,
            offset=0,
        )
    return sorted(r.name for r in runs)


def test_a_pipeline_rerun_with_nothing_new_starts_no_subflow(
    prefect_api, home: Path, tmp_path: Path
) -> None:
    sources = [
        SourceConfig(name=n, kind="dtm", location=[str(write_dtm(tmp_path / f"{n}.csv", 20))])
        for n in ("a", "b")
    ]
    first = pipeline(sources, str(home), return_state=True)
    write_dtm(tmp_path / "b.csv", 30)
    second = pipeline(sources, str(home), return_state=True)
    assert first.is_completed() and second.is_completed()
    assert subflow_names(first) == ["a", "b"]
    assert subflow_names(second) == ["b"]  # a: fetched, found unchanged, recorded
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        latest = con.execute(
            "SELECT source, arg_max(status, started_at) FROM load_runs GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert latest == [("a", "unchanged"), ("b", "loaded")]
