"""`make bench`: sitrep beside DuckDB alone, dlt and plain pandas, each case in its own process.

    python bench/run.py              # 1M DTM-like rows, about 5 minutes on 2 cores
    python bench/run.py --large      # 10M rows for the data cases
    python bench/run.py --case floor --csv F --work D --rows N   # one case (used internally)
    python bench/run.py --case sitrep_load --rows N   # one case measured alone, input generated

`BENCH_CODE=/path/to/other/checkout` measures another tree's code (its flows, transforms,
warehouse) with this harness, e.g. main beside a branch.

Writes bench/results/<date>.json and prints seconds, rows/s, peak RSS and the ratios to the
floor (DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)`) and to dlt from Arrow.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.cases import CASES  # noqa: E402
from bench.report import print_table, targets  # noqa: E402

CODE = Path(os.environ.get("BENCH_CODE", REPO)).resolve()  # the code the measured processes run
sys.path.insert(0, str(CODE))  # the cases import flows, transforms and warehouse from it

BIN = Path(sys.executable).parent
RESULTS = REPO / "bench" / "results"
TIMEOUT = 300
LOAD_TIMEOUT = 600
# Cases that also run at 10M rows with --large (the others hold whole frames in pandas).
LARGE = {"floor", "dlt_arrow", "prefect_empty", "sitrep_load", "stage_canonical"}
LARGE |= {"stage_validate_file", "stage_run", "stage_load"}
BIG_INPUTS = {"SITREP_MAX_INPUT_BYTES": str(2**40)}


def child_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured process: ours minus any Prefect/sitrep home, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SITREP_"))}
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(CODE), str(REPO)]))
    env["PREFECT_HOME"] = str(work / "prefect")
    env.update(extra)
    return env


def measure(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> dict[str, Any]:
    """Run cmd; its wall time, peak RSS (its own and its waited-for children's) and output."""
    log = cwd / "output.log"
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    lines = log.read_text().strip().splitlines()
    result: dict[str, Any] = {
        "wall": round(wall, 3),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit_code": proc.returncode,
    }
    if proc.returncode != 0:
        result["error"] = "timed out" if wall >= timeout else lines[-3:]
    measured = [line for line in lines if line.startswith('{"inner"')]
    if proc.returncode == 0 and measured:
        result.update(json.loads(measured[-1]))
    return result


def run_case(name: str, csv_path: Path, work: Path, rows: int, **env: str) -> dict[str, Any]:
    """One registered case in a fresh Python process with a fresh Prefect home."""
    case_dir = work / name
    case_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(REPO / "bench" / "run.py"), "--case", name]
    cmd += ["--csv", str(csv_path), "--work", str(work), "--rows", str(rows)]
    return measure(cmd, child_env(case_dir, **env), case_dir, TIMEOUT)


def run_command(
    name: str, args: list[str], work: Path, home: str = "home", **env: str
) -> dict[str, Any]:
    """A `sitrep` command with its own SITREP_HOME (the CLI puts PREFECT_HOME inside it)."""
    case_dir = work / name
    case_dir.mkdir(parents=True, exist_ok=True)
    full_env = child_env(case_dir, SITREP_HOME=str(work / home), **env)
    del full_env["PREFECT_HOME"]
    timeout = LOAD_TIMEOUT if args[0] == "load" else TIMEOUT
    return measure([str(BIN / "sitrep"), *args], full_env, case_dir, timeout)


def warm_prefect(csv_path: Path, work: Path) -> dict[str, Any]:
    """The empty flow again with the Prefect home (and its database) of a first run."""
    run_case("prefect_empty", csv_path, work / "warm", 0)
    return run_case("prefect_empty", csv_path, work / "warm", 0)


def sitrep_commands(csv_path: Path, tiny: Path, work: Path) -> dict[str, dict[str, Any]]:
    """`sitrep --help`, `sitrep load dtm` (tiny and full) and a no-op rerun of `sitrep run`."""
    config = str(REPO / "sitrep.toml")
    out = {
        "sitrep_help": run_command("sitrep_help", ["--help"], work),
        "sitrep_load_tiny": run_command("sitrep_load_tiny", ["load", "dtm", str(tiny)], work, "t"),
        # At 10M rows the CSV passes the default 256 MiB input guard (SITREP_MAX_INPUT_BYTES).
        "sitrep_load": run_command(
            "sitrep_load", ["load", "dtm", str(csv_path)], work, "full", **BIG_INPUTS
        ),
    }
    out["sitrep_run_first"] = run_command("sitrep_run_first", ["run", "-c", config], work, "noop")
    out["sitrep_run_noop"] = run_command("sitrep_run_noop", ["run", "-c", config], work, "noop")
    return out


def against_server(csv_path: Path, work: Path) -> dict[str, dict[str, Any]]:
    """Scheduled use: an empty flow and `sitrep run` twice against a long-lived Prefect server."""
    from flows.server import ServerStartError, free_port, local_server

    config = str(REPO / "sitrep.toml")
    try:
        with local_server(work / "server-home", free_port()) as api:
            return {
                "prefect_empty_server": run_case(
                    "prefect_empty", csv_path, work / "server", 0, PREFECT_API_URL=api
                ),
                "sitrep_run_first_server": run_command(
                    "run_first_server", ["run", "-c", config], work, "srv", PREFECT_API_URL=api
                ),
                "sitrep_run_noop_server": run_command(
                    "run_noop_server", ["run", "-c", config], work, "srv", PREFECT_API_URL=api
                ),
            }
    except ServerStartError as exc:
        return {
            "prefect_server": {
                "wall": 0,
                "cpu": 0,
                "peak_rss_mb": 0,
                "exit_code": 1,
                "error": str(exc),
            }
        }


def generate(rows: int, path: Path) -> Path:
    """A DTM CSV from bench/generate.py in its own process (this one stays small: a child's
    peak RSS starts from its parent's, as the high-water mark survives fork and exec)."""
    script = str(REPO / "bench" / "generate.py")
    subprocess.run(
        [sys.executable, script, "dtm", str(rows), str(path)], check=True, stdout=subprocess.DEVNULL
    )
    return path


def run_all(rows: int, large: bool, work: Path) -> dict[str, dict[str, Any]]:
    """Every case at `rows`, in an order where stage inputs exist before the stages."""
    csv_path = generate(rows, work / "dtm.csv")
    tiny = generate(100, work / "tiny" / "dtm-tiny.csv")
    results: dict[str, dict[str, Any]] = {}
    for name in CASES:
        if large and name not in LARGE:
            continue
        print(f"  {name} ...", file=sys.stderr, flush=True)
        results[name] = run_case(name, csv_path, work, rows)
    results["prefect_empty_warm"] = warm_prefect(csv_path, work)
    print("  sitrep commands ...", file=sys.stderr, flush=True)
    results.update(sitrep_commands(csv_path, tiny, work))
    print("  against a running prefect server ...", file=sys.stderr, flush=True)
    results.update(against_server(csv_path, work))
    return results


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def alone(name: str, rows: int) -> dict[str, Any]:
    """One case measured as in a full run, in a fresh work folder with its input generated:
    a registered case, or `sitrep_load` (`sitrep load dtm` of all rows in a fresh home)."""
    work = Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        csv_path = generate(rows, work / "dtm.csv")
        if name == "sitrep_load":
            result = run_command(name, ["load", "dtm", str(csv_path)], work, "full", **BIG_INPUTS)
        else:
            result = run_case(name, csv_path, work, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = [round(x, 2) for x in os.getloadavg()]
    return {"case": name, "rows": rows, "code": str(CODE), **result} | {
        "load_average_before": load_before,
        "load_average_after": load_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="10M rows for the data cases")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--case", choices=sorted([*CASES, "sitrep_load"]))
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    rows = args.rows or (10_000_000 if args.large else 1_000_000)
    if args.case and args.csv is None:
        print(json.dumps(alone(args.case, rows), default=str))
        return
    if args.case:
        print(json.dumps(CASES[args.case](args.csv, args.work, rows), default=str))
        return
    work = Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        results = run_all(rows, args.large, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "machine": machine() | {"load_average_before": load_before},
        "cases": results,
        "targets": targets(results, rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "-large" if args.large else ""
    out = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}{suffix}.json"
    out.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print_table(report)
    print(f"\nresults: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
