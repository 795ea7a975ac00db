"""World-shaped benchmark: `sitrep load` of rows over 130 countries and about 2,000 admin1 units,
report included, then a small load of one country into the same warehouse.

    .venv/bin/python bench/world.py                 # 1,000,000 rows (make bench-world)
    .venv/bin/python bench/world.py --rows 200000 --keep /tmp/world

Figures: the empty Prefect flow (fresh home), the big load (wall, peak RSS, and the time until
its report step started: the load alone), `sitrep report` of every country on that warehouse,
and a following small load (its wall less the empty flow's, and how many pages it rewrote).
Results go to bench/results/<date>-world.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.generate import ASSESSMENTS, DTM_COLUMNS, REASONS  # noqa: E402

COUNTRIES = 130
ADMIN1_TARGET = 2000
FIRST_DAY = date(2015, 1, 1)
TIMEOUT = 3600.0
RESULTS = REPO / "bench" / "results"
SMALL_COUNTRY_ROWS = 60
# Countries whose bundled admin1 p-codes the DTM reader refuses (NA.., LS.., numeric codes):
# left out so that every generated row loads.
REFUSED = ("LSO", "NAM", "TJK")


def world_units() -> dict[str, np.ndarray]:
    """Admin 0 and admin 1 units of 130 countries from the bundled gazetteer, about 2,000
    admin1 units in all (the countries with the fewest units left out first)."""
    from transforms.gazetteer import admin_units, countries

    units = admin_units()
    admin1 = units[(units["level"] == 1) & ~units["iso3"].isin(REFUSED)]
    per_country = admin1.groupby("iso3").size().sort_values()
    counts = list(per_country.values)
    drop = len(counts) - COUNTRIES  # leave out the run of `drop` countries nearest the target
    best = min(
        range(len(counts) - drop + 1),
        key=lambda i: abs(sum(counts) - sum(counts[i : i + drop]) - ADMIN1_TARGET),
    )
    chosen = [c for n, c in enumerate(per_country.index) if not best <= n < best + drop]
    names = dict(zip(countries()["iso3"], countries()["name"], strict=False))
    rows = [(c, names.get(c, c), 0, "", "") for c in sorted(chosen)]
    for u in admin1[admin1["iso3"].isin(chosen)].itertuples():
        rows.append((u.iso3, names.get(u.iso3, u.iso3), 1, u.pcode, u.name))
    cols = list(zip(*sorted(rows), strict=True))
    keys = ["iso3", "country", "level", "adm1", "adm1_name"]
    return {
        k: np.array(v, dtype=object if k != "level" else np.int64)
        for k, v in zip(keys, cols, strict=True)
    }


def chunk(
    start: int, stop: int, rng: np.random.Generator, units: dict[str, np.ndarray], ids: int
) -> pa.Table:
    """Rows start..stop-1 in the HDX DTM CSV columns; unit, reason, assessment and round vary
    so that record keys stay unique."""
    i = np.arange(start, stop)
    n = len(units["iso3"])
    unit = i % n
    reason = (i // n) % len(REASONS)
    assess = (i // (n * len(REASONS))) % len(ASSESSMENTS)
    rnd = i // (n * len(REASONS) * len(ASSESSMENTS)) + 1
    days = np.array(
        [(FIRST_DAY + timedelta(days=30 * int(d))).isoformat() for d in range(rnd.max() + 1)]
    )
    level = units["level"][unit]
    figure = rng.integers(10, 60000, size=len(i))
    blank = np.full(len(i), "", dtype=object)
    return pa.table(
        {
            "id": np.where(level == 0, "", (ids + i).astype(str)).astype(object),
            "operation": np.char.add("Operation ", units["iso3"][unit].astype(str)).astype(object),
            "admin0Name": units["country"][unit],
            "admin0Pcode": units["iso3"][unit],
            "admin1Name": units["adm1_name"][unit],
            "admin1Pcode": units["adm1"][unit],
            "admin2Name": blank,
            "admin2Pcode": blank,
            "adminLevel": level.astype(str).astype(object),
            "numPresentIdpInd": figure.astype(str).astype(object),
            "reportingDate": np.char.add(days[rnd].astype(str), "T00:00:00").astype(object),
            "yearReportingDate": np.array([d[:4] for d in days], dtype=object)[rnd],
            "monthReportingDate": np.array([str(int(d[5:7])) for d in days], dtype=object)[rnd],
            "roundNumber": rnd.astype(str).astype(object),
            "displacementReason": np.array(REASONS, dtype=object)[reason],
            "numberMales": (figure // 2).astype(str).astype(object),
            "numberFemales": (figure - figure // 2).astype(str).astype(object),
            "idpOriginAdmin1Name": np.full(len(i), "Not available", dtype=object),
            "idpOriginAdmin1Pcode": np.full(len(i), "Not available", dtype=object),
            "assessmentType": np.array(ASSESSMENTS, dtype=object)[assess],
            "operationStatus": np.full(len(i), "Active", dtype=object),
        }
    )


def write_csv(
    path: Path, rows: int, units: dict[str, np.ndarray], start: int = 0, ids: int = 10**9
) -> Path:
    """A DTM HDX CSV (header, HXL row, rows start..start+rows-1 over `units`)."""
    rng = np.random.default_rng(7 + start)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write((",".join(DTM_COLUMNS) + "\n" + ",".join(DTM_COLUMNS.values()) + "\n").encode())
        for lo in range(start, start + rows, 250_000):
            table = chunk(lo, min(start + rows, lo + 250_000), rng, units, ids)
            options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            pacsv.write_csv(table, f, options)
    return path


def one_country(units: dict[str, np.ndarray], iso3: str) -> dict[str, np.ndarray]:
    keep = units["iso3"] == iso3
    return {k: v[keep] for k, v in units.items()}


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Wall time, peak RSS (with waited-for children), and when the report step started
    (the first progress line starting `report`)."""
    cwd.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    marks: dict[str, float] = {}
    lines: list[str] = []
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("report") and "report" not in marks:
                marks["report"] = time.perf_counter() - start

    peaks = {"before_report": 0, "report": 0}

    def sample() -> None:
        status = Path(f"/proc/{proc.pid}/status")
        while proc.returncode is None:
            try:
                kib = int(status.read_text().split("VmRSS:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                return
            phase = "report" if "report" in marks else "before_report"
            peaks[phase] = max(peaks[phase], kib)
            time.sleep(0.2)

    reader = threading.Thread(target=read)
    reader.start()
    threading.Thread(target=sample, daemon=True).start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    timer.cancel()
    wall = time.perf_counter() - start
    (cwd / "output.log").write_text("\n".join(lines) + "\n")
    return {
        "wall": round(wall, 2),
        "cpu": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit_code": proc.returncode,
        "report_started": round(marks["report"], 2) if "report" in marks else None,
        # the main process alone (no Prefect API, no workers), sampled every 0.2 s
        "rss_mb_before_report": round(peaks["before_report"] / 1024, 1),
        "rss_mb_in_report": round(peaks["report"] / 1024, 1),
        "tail": lines[-4:],
    }


def env_for(home: Path | None, prefect_home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SITREP_"))}
    env["PYTHONPATH"] = os.environ.get("WORLD_CODE", str(REPO))
    env["SITREP_MAX_INPUT_BYTES"] = str(2**40)
    if home is not None:
        env["SITREP_HOME"] = str(home)
    if prefect_home is not None:
        env["PREFECT_HOME"] = str(prefect_home)
    return env


def sitrep(args: list[str], home: Path, work: Path, name: str) -> dict[str, Any]:
    """`sitrep ARGS` (through `python -m flows.cli`, so WORLD_CODE may point at another tree)."""
    cmd = [sys.executable, "-c", "from flows.cli import app; app()", *args]
    return measure(cmd, env_for(home), work / name)


def pages(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.html")}


def run(
    rows: int, work: Path, reuse: dict[str, Any] | None = None, later: int = 0
) -> dict[str, Any]:
    """Every step; with `reuse` (the results of an earlier run kept in `work`), the world load
    is not run again and its figures are those."""
    made = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--later", str(later), "--generate", str(rows), str(work)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ | {"PYTHONPATH": str(REPO)},
        ).stdout
    )
    small_country, big, small = made["country"], Path(made["big"]), Path(made["small"])
    out: dict[str, Any] = reuse or {
        "rows": rows,
        "countries": made["countries"],
        "admin1_units": made["admin1_units"],
    }
    home = work / "home"
    if reuse is None:
        empty = [sys.executable, str(REPO / "bench" / "run.py"), "--case", "prefect_empty"]
        empty += ["--csv", str(big), "--work", str(work), "--rows", "0"]
        out["prefect_empty"] = measure(
            empty, env_for(None, work / "empty" / "prefect"), work / "empty"
        )
        print(f"  empty flow: {json.dumps(out['prefect_empty'])}", file=sys.stderr, flush=True)
        out["load_world"] = sitrep(["load", "dtm", str(big)], home, work, "load")
        print(f"  world load: {json.dumps(out['load_world'])}", file=sys.stderr, flush=True)
    before = pages(home / "reports")
    out["load_small"] = sitrep(["load", "dtm", str(small)], home, work, "small")
    after = pages(home / "reports")
    out["load_small"]["country"] = small_country
    out["load_small"]["pages_rewritten"] = sorted(k for k in after if before.get(k) != after[k])
    print(f"  small load: {json.dumps(out['load_small'])}", file=sys.stderr, flush=True)
    out["report_all"] = sitrep(["report"], home, work, "report")
    print(f"  report: {json.dumps(out['report_all'])}", file=sys.stderr, flush=True)
    return out | {"targets": targets(out)}


def generate(rows: int, later: int, work: Path, big: bool) -> dict[str, Any]:
    """The world CSV (unless not `big`) and the small one, written in a process of their own:
    a child's peak RSS starts from its parent's, so the measuring process stays small."""
    units = world_units()
    small_country = str(units["iso3"][len(units["iso3"]) // 2])
    mine = one_country(units, small_country)
    last_round = (rows - 1) // (len(units["iso3"]) * len(REASONS) * len(ASSESSMENTS)) + 1
    per_round = len(mine["iso3"]) * len(REASONS) * len(ASSESSMENTS)
    start = (last_round + later * 2) * per_round  # a round after the world's (and earlier runs')
    small = write_csv(work / "small.csv", SMALL_COUNTRY_ROWS, mine, start, ids=2 * 10**9)
    if big:
        write_csv(work / "world.csv", rows, units)
    return {
        "country": small_country,
        "big": str(work / "world.csv"),
        "small": str(small),
        "countries": len(set(units["iso3"])),
        "admin1_units": int((units["level"] == 1).sum()),
    }


def targets(out: dict[str, Any]) -> dict[str, Any]:
    """The issue's three targets, computed from the figures."""
    load = out["load_world"]
    alone = load["report_started"]
    small = out["load_small"]["wall"] - out["prefect_empty"]["wall"]
    return {
        "load_alone_s": alone,
        "report_in_load_s": round(load["wall"] - alone, 2) if alone else None,
        "whole_over_load_alone": round(load["wall"] / alone, 2) if alone else None,
        "whole_le_3x_load": bool(alone and load["wall"] <= 3 * alone),
        "peak_rss_lt_1gib": load["peak_rss_mb"] < 1024,
        "small_load_over_empty_s": round(small, 2),
        "small_load_within_5s": small <= 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--label", default="", help="suffix of the results file")
    parser.add_argument(
        "--reuse", type=Path, help="results JSON of an earlier --keep run: only the later steps"
    )
    parser.add_argument("--later", type=int, default=0, help="with --reuse: rounds already added")
    parser.add_argument("--generate", nargs=2, metavar=("ROWS", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        rows, folder = int(args.generate[0]), Path(args.generate[1])
        print(
            json.dumps(generate(rows, args.later, folder, big=not (folder / "world.csv").exists()))
        )
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="sitrep-world-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        reuse = json.loads(args.reuse.read_text()) if args.reuse else None
        result = run(args.rows, work, reuse, args.later)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-world{args.label}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["targets"], indent=1))
    print(f"results: {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
