"""The measured cases. Each runs alone in a fresh process (`bench/run.py --case NAME`).

A case returns what it measured itself (`inner` seconds around the work, rows); the parent
adds the process's wall time and peak RSS.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Result = dict[str, Any]
CASES: dict[str, Callable[[Path, Path, int], Result]] = {}
DLT_DICT_ROWS = 200_000
TRANSFORM_ROWS = 200_000


def case(fn: Callable[[Path, Path, int], Result]) -> Callable[[Path, Path, int], Result]:
    """Register a case under its function name."""
    CASES[fn.__name__] = fn
    return fn


class Timer:
    """Seconds spent inside a `with` block."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def columns(csv_path: Path) -> list[str]:
    """The header of a generated DTM CSV."""
    with csv_path.open() as f:
        return next(csv.reader(f))


@case
def floor(csv_path: Path, work: Path, rows: int) -> Result:
    """DuckDB alone: the CSV (HXL row skipped) into a table, nothing else."""
    import duckdb

    names = columns(csv_path)
    with Timer() as t, duckdb.connect(str(work / "floor.duckdb")) as con:
        con.execute(
            f"CREATE TABLE dtm AS SELECT * FROM read_csv('{csv_path}', skip = 2, "
            f"header = false, names = {names!r})"
        )
        loaded = con.execute("SELECT count(*) FROM dtm").fetchone()
    return {"inner": t.seconds, "rows": loaded[0] if loaded else 0}


def _dlt_pipeline(work: Path, name: str) -> Any:
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = str(work / "dlt")
    import dlt

    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(work / f"{name}.duckdb")),
        dataset_name="bench",
        pipelines_dir=str(work / "dlt" / "pipelines"),
    )


@case
def dlt_arrow(csv_path: Path, work: Path, rows: int) -> Result:
    """dlt 1.x into DuckDB from an Arrow table read by pyarrow (no checks, no lineage)."""
    import pyarrow.csv as pacsv

    with Timer() as t:
        table = pacsv.read_csv(csv_path, pacsv.ReadOptions(skip_rows_after_names=1))
        _dlt_pipeline(work, "bench_arrow").run(table, table_name="dtm")
    return {"inner": t.seconds, "rows": table.num_rows}


@case
def dlt_dicts(csv_path: Path, work: Path, rows: int) -> Result:
    """dlt from Python dicts (its usual path) on the first 200k rows, timed and extrapolated."""
    limit = min(rows, DLT_DICT_ROWS)

    def records() -> Iterator[dict[str, str]]:
        with csv_path.open(newline="") as f:
            reader = csv.DictReader(f)
            next(reader)  # the HXL hashtag row
            for n, row in enumerate(reader):
                if n >= limit:
                    return
                yield row

    with Timer() as t:
        _dlt_pipeline(work, "bench_dicts").run(records(), table_name="dtm")
    return {"inner": t.seconds * rows / limit, "rows": rows, "measured_rows": limit}


@case
def pandas_naive(csv_path: Path, work: Path, rows: int) -> Result:
    """read_csv, rename/type/lineage, GX on the whole frame, to_parquet, DuckDB insert."""
    from bench.naive import canonical, origin, read
    from expectations.runner import load_suite, run_gx
    from transforms.schema import conform
    from warehouse.db import connect, migrate

    with Timer() as t:
        frame = canonical(read(csv_path), origin(csv_path))
        results = run_gx(frame, load_suite("displacement"))
        frame = frame.drop_duplicates(["source", "source_record_id"])
        path = work / "naive.parquet"
        conform(frame, "displacement").to_pandas().to_parquet(path)
        with connect(work / "naive.duckdb") as con:
            migrate(con)
            con.execute(f"INSERT INTO displacement BY NAME SELECT * FROM read_parquet('{path}')")
    failed = sum(r.unexpected_count for r in results)
    return {"inner": t.seconds, "rows": len(frame), "gx_unexpected": failed}


@case
def prefect_empty(csv_path: Path, work: Path, rows: int) -> Result:
    """An empty Prefect flow on the ephemeral API, in the environment the CLI sets."""
    from flows.settings import quiet_environment

    quiet_environment()
    with Timer() as t:
        from prefect import flow

        @flow(name="bench-empty", persist_result=False)
        def empty() -> None:
            """Nothing: the cost of a flow run itself."""

        empty()
    return {"inner": t.seconds, "rows": 0}


@case
def stage_canonical(csv_path: Path, work: Path, rows: int) -> Result:
    """Stage input: the canonical parquet of the CSV (naive normalisation, written once)."""
    from bench.naive import canonical_parquet

    with Timer() as t:
        canonical_parquet(csv_path, work / "canonical.parquet")
    return {"inner": t.seconds, "rows": rows}


@case
def stage_transform(csv_path: Path, work: Path, rows: int) -> Result:
    """sitrep's DTM reader (`transforms.dtm.parse`) on the first 200k rows, extrapolated."""
    from bench.naive import origin
    from transforms import dtm

    limit = min(rows, TRANSFORM_ROWS)
    with csv_path.open("rb") as f:
        raw = b"".join(line for _, line in zip(range(limit + 2), f, strict=False))
    with Timer() as t:
        parsed = dtm.parse(raw, origin(csv_path))
    done = len(parsed.tables.get("displacement", ())) + len(parsed.rejects.get("displacement", ()))
    return {"inner": t.seconds * rows / limit, "rows": rows, "measured_rows": done}


def _lake_frame(work: Path) -> Any:
    from flows import lake

    return lake.read(work / "canonical.parquet")


@case
def stage_validate(csv_path: Path, work: Path, rows: int) -> Result:
    """`expectations.runner.validate_relation` on the canonical frame as Arrow in DuckDB."""
    import duckdb
    import pyarrow as pa

    from expectations.runner import validate_relation
    from transforms.schema import conform

    frame = conform(_lake_frame(work), "displacement")
    frame = frame.append_column("_row", pa.array(range(frame.num_rows), pa.int64()))
    with Timer() as t, duckdb.connect() as con:
        con.register("frame", frame)
        result = validate_relation(con, "frame", "displacement")
    return {"inner": t.seconds, "rows": result.rows, "quarantined": len(result.failures)}


@case
def stage_validate_file(csv_path: Path, work: Path, rows: int) -> Result:
    """`expectations.runner.validate_relation` on the canonical parquet (bounded memory)."""
    import duckdb

    from expectations.runner import validate_relation
    from warehouse.db import memory_config

    path = work / "canonical.parquet"
    rows_of = f"read_parquet('{path}', file_row_number = true)"
    source = f"(SELECT *, file_row_number AS _row FROM {rows_of})"
    with Timer() as t, duckdb.connect(config=memory_config()) as con:
        result = validate_relation(con, source, "displacement")
    return {"inner": t.seconds, "rows": result.rows, "quarantined": len(result.failures)}


@case
def stage_run(csv_path: Path, work: Path, rows: int) -> Result:
    """`flows.stage.stage`: the DTM CSV to its validated lake and quarantine files, no Prefect."""
    from flows.fetch import RawFile
    from flows.settings import Settings
    from flows.sources import get_kind
    from flows.stage import stage

    raw = RawFile(str(csv_path), str(csv_path), "bench", datetime.now(UTC))
    settings = Settings(home=work / "stage-home")
    with Timer() as t:
        out = stage(get_kind("dtm"), "dtm-bench", [raw], "bench-run", settings, print)
    table = out.tables[0]
    return {"inner": t.seconds, "rows": table.rows_in, "quarantined": table.rows_quarantined}


@case
def stage_gx_whole(csv_path: Path, work: Path, rows: int) -> Result:
    """Great Expectations alone on the whole canonical frame (the former way), import included."""
    frame = _lake_frame(work)
    with Timer() as t:
        from expectations.runner import load_suite, run_gx

        results = run_gx(frame, load_suite("displacement"))
    return {
        "inner": t.seconds,
        "rows": len(frame),
        "gx_unexpected": [r.unexpected_count for r in results],
    }


@case
def stage_lake_write(csv_path: Path, work: Path, rows: int) -> Result:
    """`transforms.schema.conform` and `flows.lake.write_atomic`: schema cast, parquet write."""
    from flows import lake
    from transforms.schema import conform

    frame = _lake_frame(work)
    with Timer() as t:
        lake.write_atomic(work / "lake" / "out.parquet", conform(frame, "displacement"))
    return {"inner": t.seconds, "rows": len(frame)}


@case
def stage_load(csv_path: Path, work: Path, rows: int) -> Result:
    """`warehouse.load.load` of the canonical parquet, then the same again (replace)."""
    import duckdb

    from warehouse.load import LoadRequest, TableLoad, load

    unique = work / "canonical-unique.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{work / 'canonical.parquet'}') QUALIFY row_number() "
        f"OVER (PARTITION BY source_record_id) = 1) TO '{unique}'"
    )
    part = TableLoad("displacement", str(unique), None, rows, rows, 0)
    part.results = [{"expectation": "bench", "column": "", "success": True}]
    part.results[0] |= {"unexpected_count": 0, "details": "{}"}
    started = datetime.now(UTC)
    times = []
    for n in range(2):
        request = LoadRequest(f"bench-{n}", "dtm-bench", "dtm", started, [part], [str(csv_path)])
        with Timer() as t:
            load(work / "stage.duckdb", request)
        times.append(t.seconds)
    return {"inner": times[0], "rows": rows, "reload_seconds": times[1]}


@case
def extract(csv_path: Path, work: Path, rows: int) -> Result:
    """Article fact extraction, one core: articles per second on ~3 KB texts."""
    from bench.generate import write_articles
    from transforms.extract import extract as facts_of

    texts = [p.read_text() for p in sorted(write_articles(work / "articles", 300).iterdir())]
    facts_of(texts[0])  # lexicons and gazetteer index load once
    with Timer() as t:
        found = sum(len(facts_of(text)) for text in texts)
    return {"inner": t.seconds, "rows": len(texts), "facts": found}


def feed_item_case(kib: int, run_on: bool = False) -> Callable[[Path, Path, int], Result]:
    """A case normalising one RSS item of `kib` KiB (`transforms.rss.parse`: HTML to text,
    size limits, fact extraction); the feed is written by a child process beforehand."""

    def run(csv_path: Path, work: Path, rows: int) -> Result:
        import subprocess
        import sys

        from transforms.extract import extract as facts_of
        from transforms.lineage import Origin
        from transforms.rss import parse

        kind = "feed-run-on" if run_on else "feed-item"
        path = work / f"{kind}-{kib}k.xml"
        script = str(Path(__file__).with_name("generate.py"))
        subprocess.run([sys.executable, script, kind, str(kib), str(path)], check=True)
        facts_of("About 7,000 people were displaced in Goma.")  # the place index loads once
        origin = Origin("bench", str(path), datetime.now(UTC), "bench")
        with Timer() as t:
            parsed = parse(path.read_bytes(), origin)
        return {
            "inner": t.seconds,
            "rows": 1,
            "bytes": path.stat().st_size,
            "kept": len(parsed.tables.get("articles", ())),
            "quarantined": len(parsed.rejects.get("articles", ())),
            "facts": len(parsed.tables.get("article_facts", ())),
            "notes": parsed.notes,
        }

    return run


for _kib in (50, 200, 1024, 20480):
    CASES[f"feed_item_{_kib}k"] = feed_item_case(_kib)
CASES["feed_run_on_200k"] = feed_item_case(200, run_on=True)
