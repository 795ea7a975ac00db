"""The benchmark table and the issue's targets, computed from one run's results."""

from __future__ import annotations

from typing import Any

Cases = dict[str, dict[str, Any]]


def work_seconds(name: str, res: dict[str, Any], cases: Cases) -> float | None:
    """The seconds a case is compared by: its timed work, or for `sitrep load` its wall time
    less an empty Prefect flow in the same mode (a fresh Prefect home, ephemeral API)."""
    if res.get("exit_code"):
        return None
    if name.startswith("sitrep_load"):
        empty = cases.get("prefect_empty", {}).get("wall")
        return res["wall"] - empty if empty is not None else None
    return res.get("inner", res.get("wall"))


def rows_of(name: str, res: dict[str, Any], rows: int) -> int | None:
    """Rows a case handled (None for cases that handle no data rows)."""
    if name == "sitrep_load":
        return rows
    if name == "sitrep_load_tiny":
        return 100
    value = res.get("rows")
    return int(value) if value else None


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """One printable row per case."""
    cases: Cases = report["cases"]
    floor = work_seconds("floor", cases.get("floor", {}), cases)
    dlt = work_seconds("dlt_arrow", cases.get("dlt_arrow", {}), cases)
    out = []
    for name, res in cases.items():
        work = work_seconds(name, res, cases)
        rows = rows_of(name, res, report["rows"])
        out.append(
            [
                name,
                f"{res['wall']:.2f}",
                f"{res['cpu']:.2f}",
                _fmt(work, ".2f"),
                _fmt(rows / work if rows and work else None, ",.0f"),
                f"{res['peak_rss_mb']:,.0f}",
                _fmt(work / floor if work and floor else None, ".1f"),
                _fmt(work / dlt if work and dlt else None, ".2f"),
                "" if not res.get("exit_code") else str(res.get("error"))[:40],
            ]
        )
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def print_table(report: dict[str, Any]) -> None:
    """The results as a Markdown table, then the targets."""
    head = [
        "case",
        "wall s",
        "cpu s",
        "work s",
        "rows/s",
        "peak RSS MB",
        "x floor",
        "x dlt",
        "note",
    ]
    print(f"\n{report['rows']:,} DTM-like rows, {report['machine']['cpus']} cores\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in table_rows(report):
        print("| " + " | ".join(row) + " |")
    print()
    for name, target in report["targets"].items():
        mark = {True: "met", False: "NOT met", None: "not measured"}[target["met"]]
        print(f"- {name}: {mark} ({target['measured']})")


def targets(cases: Cases, rows: int) -> dict[str, dict[str, Any]]:
    """The issue's targets: each with whether it is met and the figures that say so."""

    def secs(name: str) -> float | None:
        return work_seconds(name, cases[name], cases) if name in cases else None

    floor, load, dicts = secs("floor"), secs("sitrep_load"), secs("dlt_dicts")
    wall = cases.get("sitrep_load", {}).get("wall")
    tiny, empty = secs("sitrep_load_tiny"), cases.get("prefect_empty", {}).get("wall")
    noop = _succeeded(cases.get("sitrep_run_noop", {}))
    served = _succeeded(cases.get("sitrep_run_noop_server", {}))
    extract = cases.get("extract", {})
    rate = extract["rows"] / extract["inner"] if extract.get("inner") else None
    rss = cases.get("sitrep_load", {}).get("peak_rss_mb")
    out = {
        "data work <= 3x floor": _target(
            load, floor, lambda a, b: a <= 3 * b, "{:.1f}x", ratio=True
        ),
        "sitrep load faster than dlt from dicts": _target(
            wall, dicts, lambda a, b: a < b, "{:.2f}x", ratio=True
        ),
        "start-up adds <= 1 s to an empty flow": _target(
            tiny, empty, lambda a, _: a <= 1.0, "{:.2f} s"
        ),
        "no-op rerun < 5 s": _target(noop.get("wall"), 1, lambda a, _: a < 5, "{:.1f} s"),
        "no-op rerun < 5 s, long-lived server": _target(
            served.get("wall"), 1, lambda a, _: a < 5, "{:.1f} s"
        ),
        "extraction >= 200 articles/s": _target(rate, 1, lambda a, _: a >= 200, "{:.0f}/s"),
    }
    if rows >= 10_000_000:
        out["10M rows in < 2 GiB"] = _target(rss, 1, lambda a, _: a < 2048, "{:.0f} MB")
    return out


def _succeeded(res: dict[str, Any]) -> dict[str, Any]:
    return {} if res.get("exit_code") else res


def _target(a: float | None, b: float | None, ok: Any, spec: str, ratio: bool = False) -> dict:
    if a is None or b is None:
        return {"met": None, "measured": "missing"}
    shown = a / b if ratio else a
    return {"met": bool(ok(a, b)), "measured": spec.format(shown)}
