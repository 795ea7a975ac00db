"""Named queries on a world-shaped warehouse: every named query cold and warm, over the views
(the definitions, recomputed at each read) and over the materialised figures.

    python bench/queries.py                 # 10,000,000 displacement rows
    python bench/queries.py --rows 1000000  # smaller
    make bench-queries                      # the same as the first line

The warehouse is written straight into DuckDB by SQL (no pipeline: the point is the reads):
a DTM-like source with breakdown rows (4 reasons x 5 origins) per admin1 unit and round over
the admin1 units of 130 countries, a second source of country and admin1 totals, new
displacement rows, and articles with facts. "cold" is `sitrep query --name Q` in a new process
(imports, connection, query); "warm" is the best of three more runs in one process.
Results go to bench/results/queries-<date>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse.db import connect, migrate, transaction  # noqa: E402
from warehouse.dims import load_dims  # noqa: E402
from warehouse.figures import refresh  # noqa: E402
from warehouse.preferences import copy_preferences, read_preferences  # noqa: E402
from warehouse.query import named_queries, run_query  # noqa: E402

RESULTS = REPO / "bench" / "results"
SITREP = Path(sys.executable).parent / "sitrep"
COUNTRIES = 130
BREAKDOWN = 20  # rows per admin1 unit and round (4 reasons x 5 origins)
ISO3 = "COD"  # the country given to queries that take one
SKIP = {"column-dictionary"}  # reads the catalog, not the figures

UNITS_SQL = f"""
CREATE TEMP TABLE units AS
SELECT row_number() OVER (ORDER BY pcode) - 1 AS n, pcode, iso3, name
FROM dim_admin
WHERE level = 1 AND iso3 IN (
    SELECT iso3 FROM dim_admin WHERE level = 1 GROUP BY iso3
    ORDER BY iso3 = '{ISO3}' DESC, hash(iso3) LIMIT {COUNTRIES})
"""

DTM_SQL = """
INSERT INTO displacement BY NAME
SELECT u.iso3, 1 AS admin_level, u.pcode AS admin1_pcode, u.name AS admin1_name,
       'idp_stock' AS metric, 'conflict' AS cause,
       10 + hash(i) % 5000 AS figure, 'people' AS unit, 'exact' AS qualifier,
       DATE '2010-01-01' + CAST(r * 14 AS INTEGER) AS period_start,
       DATE '2010-01-01' + CAST(r * 14 AS INTEGER) AS period_end,
       r + 1 AS round_number, 'BA' AS assessment_type, u.iso3 || ' operation' AS event_name,
       json_object('displacementReason', ['Conflict', 'Disaster', 'Insecurity', 'Other'][b % 4 + 1],
                   'idpOriginAdmin1Pcode', 'O' || (b // 4)) AS extra,
       'dtm' AS source, 'dtm-' || i AS source_record_id,
       'https://dtm.example.org/global-' || (i // 1000000) || '.csv' AS source_url,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' AS retrieved_at, 'bench-dtm' AS load_run_id,
       md5(CAST(i AS VARCHAR)) AS record_hash
FROM (SELECT i, i % $units AS n, (i // $units) // $breakdown AS r, (i // $units) % $breakdown AS b
      FROM range($rows) t(i)) g
JOIN units u USING (n)
"""

TOTALS_SQL = """
INSERT INTO displacement BY NAME
SELECT u.iso3, CAST(level AS TINYINT) AS admin_level,
       CASE WHEN level = 1 THEN u.pcode END AS admin1_pcode,
       'idp_stock' AS metric, 'conflict' AS cause,
       CAST(1000 + hash(i) % 900000 AS BIGINT) AS figure, 'people' AS unit,
       DATE '2010-01-31' + CAST(y * 91 AS INTEGER) AS period_end,
       'hapi' AS source, 'hapi-' || i AS source_record_id,
       'https://hapi.example.org/idps.csv' AS source_url,
       TIMESTAMPTZ '2026-11-02 00:00:00+00' AS retrieved_at, 'bench-hapi' AS load_run_id,
       md5('h' || i) AS record_hash
FROM (SELECT i, i % $units AS n, (i // $units) % 2 AS level, i // ($units * 2) AS y
      FROM range($rows) t(i)) g
JOIN units u USING (n)
"""

FLOWS_SQL = """
INSERT INTO displacement BY NAME
SELECT u.iso3, 0 AS admin_level, 'new_displacement' AS metric,
       ['conflict', 'disaster', 'other'][i % 3 + 1] AS cause,
       CAST(10 + hash(i) % 20000 AS BIGINT) AS figure, 'people' AS unit,
       DATE '2015-01-01' + CAST(i // $units AS INTEGER) AS period_start,
       DATE '2015-01-01' + CAST(i // $units AS INTEGER) AS period_end,
       'idmc-idu' AS source, 'idu-' || i AS source_record_id,
       'https://idmc.example.org/idus.json' AS source_url,
       TIMESTAMPTZ '2026-11-03 00:00:00+00' AS retrieved_at, 'bench-idu' AS load_run_id,
       md5('f' || i) AS record_hash
FROM (SELECT i, i % $units AS n FROM range($rows) t(i)) g
JOIN units u USING (n)
"""

ARTICLES_SQL = """
INSERT INTO articles BY NAME
SELECT 'a' || i AS article_id, 'https://news.example.org/' || i AS url, 'Example' AS publisher,
       'Article ' || i AS title, TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i % 900) DAY
           AS published_at,
       'rss' AS source, 'rss-' || i AS source_record_id,
       'https://news.example.org/feed' AS source_url,
       TIMESTAMPTZ '2026-11-04 00:00:00+00' AS retrieved_at, 'bench-rss' AS load_run_id,
       md5('a' || i) AS record_hash
FROM range($rows) t(i)
"""

FACTS_SQL = """
INSERT INTO article_facts BY NAME
SELECT 'a' || (i // 3) AS article_id, CAST(i % 3 + 1 AS INTEGER) AS fact_no, u.iso3,
       u.name AS place_name, CASE WHEN i % 2 = 0 THEN u.pcode END AS admin1_pcode,
       CAST(100 + hash(i) % 200000 AS BIGINT) AS figure, 'people' AS unit, 'displaced' AS term,
       'approximately' AS qualifier, 'rss' AS source, 'rssf-' || i AS source_record_id,
       'https://news.example.org/feed' AS source_url,
       TIMESTAMPTZ '2026-11-04 00:00:00+00' AS retrieved_at, 'bench-rss' AS load_run_id,
       md5('x' || i) AS record_hash
FROM (SELECT i, i % $units AS n FROM range($rows) t(i)) g
JOIN units u USING (n)
"""

RUNS = [
    ("bench-dtm", "dtm", "dtm"),
    ("bench-hapi", "hapi", "hapi-idps"),
    ("bench-idu", "idmc-idu", "idmc-idu"),
    ("bench-rss", "rss", "rss"),
]


def build(path: Path, rows: int) -> dict[str, Any]:
    """A warehouse of about `rows` displacement rows, world-shaped; its figures materialised."""
    started = time.monotonic()
    with connect(path) as con:
        migrate(con)
        with transaction(con):
            load_dims(con)
            copy_preferences(con, read_preferences())
            con.execute(UNITS_SQL)
            units = con.execute("SELECT count(*) FROM units").fetchone()[0]  # type: ignore[index]
            common = {"units": units}
            dtm_rows = int(rows * 0.9)
            con.execute(DTM_SQL, common | {"rows": dtm_rows, "breakdown": BREAKDOWN})
            con.execute(TOTALS_SQL, common | {"rows": int(rows * 0.05)})
            con.execute(FLOWS_SQL, common | {"rows": rows - dtm_rows - int(rows * 0.05)})
            articles = max(rows // 500, 100)
            con.execute(ARTICLES_SQL, {"rows": articles})
            con.execute(FACTS_SQL, common | {"rows": articles * 3})
            for run_id, source, kind in RUNS:
                con.execute(
                    "INSERT INTO load_runs (load_run_id, source, kind, started_at, finished_at, "
                    "rows_in, rows_loaded, rows_quarantined, status) "
                    "VALUES (?, ?, ?, now(), now(), 0, 0, 0, 'loaded')",
                    [run_id, source, kind],
                )
        built = time.monotonic() - started
        counts = con.execute(
            "SELECT count(*), count(DISTINCT iso3), count(DISTINCT admin1_pcode) FROM displacement"
        ).fetchone()
        started = time.monotonic()
        with transaction(con):
            refresh(con, None)
        materialised = time.monotonic() - started
    assert counts is not None
    return {
        "rows": counts[0],
        "countries": counts[1],
        "admin1_units": counts[2],
        "build_s": round(built, 1),
        "materialise_s": round(materialised, 1),
    }


def set_materialised(path: Path, on: bool) -> None:
    """Mark the figures current (on) or stale (off: every read goes to the views)."""
    with duckdb.connect(str(path)) as con:
        if on:
            with transaction(con):
                refresh(con, None)
        else:
            con.execute("UPDATE _figures SET inputs = 'stale'")


def cold(path: Path, name: str, params: list[str], limit: float) -> tuple[float | None, float]:
    """Seconds for `sitrep query --name` in a new process (None past `limit` seconds), and the
    CPU seconds it used (on a shared machine the wall time waits for the others)."""
    args = [str(SITREP), "query", "--name", name, "--format", "csv", f"--timeout={limit:g}"]
    args += params
    env = os.environ | {"SITREP_HOME": str(path.parent)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        if "time limit" in done.stderr:
            return None, cpu
        raise RuntimeError(f"{name}: {done.stderr.strip()}")
    return seconds, cpu


def warm(path: Path, sql: str, params: dict[str, Any], runs: int) -> tuple[float, int]:
    """Best of `runs` reads of a query in this process, and its row count."""
    best, count = float("inf"), 0
    for _ in range(runs):
        started = time.monotonic()
        _, rows = run_query(path, sql, params, timeout=3600)
        best = min(best, time.monotonic() - started)
        count = len(rows)
    return best, count


def _s(value: float | None) -> str:
    return "timeout" if value is None else f"{value:.3f}"


def measure(path: Path, mode: str, runs: int = 3, limit: float = 3600) -> dict[str, dict[str, Any]]:
    """Every named query (for one country when it takes iso3), cold and warm (best of `runs`);
    a query past `limit` seconds cold is not run warm."""
    results = {}
    for query in named_queries():
        if query.name in SKIP:
            continue
        values = {"iso3": ISO3} if "iso3" in query.params else {}
        values |= {"source": "dtm"} if "source" in query.params else {}
        flags = [f"--param={k}={v}" for k, v in values.items()]
        bound = {k: values.get(k) for k in _placeholders(query.sql)}
        cold_s, cpu_s = cold(path, query.name, flags, limit)
        warm_s, count = warm(path, query.sql, bound, runs) if cold_s is not None else (None, None)
        results[query.name] = {
            "cold_s": None if cold_s is None else round(cold_s, 3),
            "cold_cpu_s": round(cpu_s, 3),
            "warm_s": None if warm_s is None else round(warm_s, 3),
            "rows": count,
        }
        print(
            f"  {mode:12} {query.name:22} cold {_s(cold_s):>8} s ({cpu_s:.2f} s CPU)  "
            f"warm {_s(warm_s):>8} s  "
            f"{count} rows",
            flush=True,
        )
    return results


def _placeholders(sql: str) -> list[str]:
    from warehouse.query import placeholders

    return placeholders(sql)


def small_load(path: Path) -> dict[str, float]:
    """Seconds for warehouse.load of 20 rows of one country into this warehouse (the figures
    of that country refreshed in the transaction), and for the refresh alone, rolled back."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from warehouse.load import LoadRequest, TableLoad, load

    url = "https://hapi.example.org/small.csv"
    rows = [
        {"iso3": ISO3, "admin_level": 0, "metric": "idp_stock", "figure": 1000 + i,
         "unit": "people", "period_end": date(2026, 1, 1 + i), "source": "hapi",
         "source_record_id": f"small-{i}", "source_url": url, "record_hash": str(i)}
        for i in range(20)
    ]  # fmt: skip
    lake = path.parent / "small.parquet"
    pq.write_table(pa.Table.from_pylist(rows), lake)
    part = TableLoad("displacement", str(lake), None, 20, 20, 0)
    request = LoadRequest("bench-small", "hapi", "hapi-idps", datetime.now(UTC), [part], [url])
    started = time.monotonic()
    load(path, request)
    whole = time.monotonic() - started
    with duckdb.connect(str(path)) as con:
        con.execute("BEGIN TRANSACTION")
        started = time.monotonic()
        refresh(con, {ISO3})
        alone = time.monotonic() - started
        con.execute("ROLLBACK")
    return {"small_load_s": round(whole, 2), "refresh_one_country_s": round(alone, 2)}


def table(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of both runs."""
    lines = [
        "| named query | views cold s | views warm s | materialised cold s (CPU s) "
        "| materialised warm s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in before:
        b, a = before[name], after[name]
        mat_cold = f"{_s(a['cold_s'])} ({a['cold_cpu_s']:.2f})"
        cells = [_s(b["cold_s"]), _s(b["warm_s"]), mat_cold, _s(a["warm_s"])]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitrep-bench-queries"))
    parser.add_argument("--keep", action="store_true", help="reuse a warehouse already built")
    parser.add_argument("--only", choices=["views", "materialised"], help="measure one side only")
    parser.add_argument(
        "--view-limit", type=float, default=600, help="seconds before a view read is given up"
    )
    args = parser.parse_args()
    path = args.work / f"rows-{args.rows}" / "warehouse.duckdb"
    if not (args.keep and path.exists()):
        if path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        shape = build(path, args.rows)
    else:
        shape = {"rows": args.rows, "reused": True}
    print(f"warehouse: {shape}", flush=True)
    shape["view_limit_s"] = args.view_limit  # a view read past it is recorded as None
    before: dict[str, dict[str, Any]] = {}
    after: dict[str, dict[str, Any]] = {}
    if args.only != "materialised":
        set_materialised(path, False)
        # one warm run: a view read takes seconds to minutes
        before = measure(path, "views", runs=1, limit=args.view_limit)
    if args.only != "views":
        started = time.monotonic()
        set_materialised(path, True)
        shape["rematerialise_s"] = round(time.monotonic() - started, 1)
        after = measure(path, "materialised")
        shape |= small_load(path)
        print(f"small load: {shape}", flush=True)
    if before and after:
        print(table(before, after))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"queries-{args.rows}-rows-{date.today().isoformat()}.json"
    result = {"shape": shape, "views": before, "materialised": after}
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
