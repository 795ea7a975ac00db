"""Score `sitrep extract` on the labelled excerpts in ../shared and time it on scraped articles.

Usage: .venv/bin/python bench/eval_extraction.py [--show-misses] [--label NAME] [--final]
       [--no-context]
Writes bench/results/extraction.json (under NAME, default "current", kept beside the other
labels already there). Skips (exit 0) when ../shared/data/articles is absent.
Each set is scored whole and on its development and test parts (bench/extraction_split.py);
--show-misses prints development-part misses only, and test-part scores are printed only
with --final: the test part is not for reading while rules change.
The labels are scored as given, wrong ones included (excerpt 222 is labelled 6600; its text
says 66,000). The news texts are read from ../shared only and never copied into the repo.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "data" / "articles"
RESULTS = ROOT / "bench" / "results" / "extraction.json"
SITREP = Path(sys.executable).with_name("sitrep")
NOTE = (
    "Labels scored as given, wrong ones included: excerpt 222 is labelled 6600, its text says "
    "66,000. First output row per id against the label; accuracy over the rows labelled for "
    "each field. Throughput: one process pinned to one core, after the one-off start-up."
)
SPLIT_NOTE = (
    "Development and test parts by the seeded rule of bench/extraction_split.py (rows grouped "
    "by article URL and by normalised excerpt text, 40% of groups to test). Rules were developed "
    "on the dev part; the test part was scored, not read. 'baseline' is the code before the "
    "December 2026 extraction work, 'current' the code of this commit."
)
FIELDS = ("figure", "unit", "term", "country", "location")
PLACE_WORDS = re.compile(
    r"\b(?:the|city|town|province|region|district|state|county|governorate|territory|area|"
    r"prefecture|department|island|sub|of|in)\b"
)


def labelled_sets() -> dict[str, list[dict[str, str]]]:
    """Both labelled files as rows of id, text and the five labels (None when unlabelled)."""
    idetect = _read(ARTICLES / "idetect_test_excerpts_labelled.csv")
    idmc = _read(ARTICLES / "idmc_fully_labelled.csv")
    return {
        "idetect_test_excerpts_labelled": [
            _label(
                r["excerpt_id"],
                "",
                r["excerpt"],
                r["Quantity"],
                r["Unit"],
                r["Term"],
                r["Country"],
                r["Location"],
            )
            for r in idetect
        ],
        "idmc_fully_labelled": [
            _label(
                str(i),
                r["URL"],
                r["Excerpt"],
                r["Displacement figure"],
                r["Reporting unit"],
                r["Reporting term"],
                [*r["Location (Country)"].split(";"), "", ""][1],
                r["Specific location"],
            )
            for i, r in enumerate(idmc, start=1)
        ],
    }


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as fh:
        return list(csv.DictReader(fh))


def _label(*values: str) -> dict[str, str]:
    keys = ("id", "url", "text", "figure", "unit", "term", "country", "location")
    return {k: (v.strip() if v and v.strip() else "") for k, v in zip(keys, values, strict=True)}


def split(sets: dict[str, list[dict[str, str]]]) -> dict[tuple[str, str], str]:
    """{(set name, row id): "dev" | "test"} by the one seeded rule of bench/extraction_split."""
    sys.path.insert(0, str(ROOT / "bench"))
    from extraction_split import parts

    keyed = [
        (f"{name}:{r['id']}", r["text"], r["url"]) for name, rows in sets.items() for r in rows
    ]
    found = parts(keyed)
    return {
        (name, r["id"]): found[f"{name}:{r['id']}"] for name, rows in sets.items() for r in rows
    }


def titles() -> dict[str, str]:
    """Scraped article titles by URL (context for the IDMC excerpts, which name their URL)."""
    out = {}
    with (ARTICLES / "d4d_scraped_articles.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if item.get("url") and item.get("title"):
                out[_url_key(item["url"])] = item["title"]
    return out


def _url_key(url: str) -> str:
    return url.strip().rstrip("/").casefold()


def run_extract(rows: list[dict[str, str]]) -> tuple[dict[str, dict[str, str]], float]:
    """First (most salient) output row per id from the real `sitrep extract` command, with the
    article's title and URL as context where the labelled set gives its URL."""
    known = titles()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        with src.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["id", "text", "title", "url"])
            writer.writeheader()
            writer.writerows(
                {
                    "id": r["id"],
                    "text": r["text"],
                    "title": known.get(_url_key(r["url"]), "") if r["url"] else "",
                    "url": r["url"],
                }
                for r in rows
            )
        started = time.perf_counter()
        subprocess.run(
            [
                str(SITREP),
                "extract",
                str(src),
                "--text-column",
                "text",
                "--id-column",
                "id",
                *CONTEXT,
                "--out",
                str(dst),
            ],
            check=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - started
        first: dict[str, dict[str, str]] = {}
        for row in _read(dst):
            first.setdefault(row["id"], row)
    return first, seconds


CONTEXT = (
    []
    if "--no-context" in sys.argv  # the code before --title-column/--url-column (baseline)
    else ["--title-column", "title", "--url-column", "url"]
)


def norm(text: str) -> str:
    """Casefolded, accents and punctuation removed, place-type words dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(PLACE_WORDS.sub(" ", text).split())


def same_place(found: str, label: str) -> bool:
    """A found place matches a label naming it, or one of the places a label lists."""
    got = norm(found)
    if not got:
        return False
    for part in [label, *re.split(r",|;|\band\b", label)]:
        want = norm(part)
        if want and (want in got or got in want or fuzz.token_set_ratio(got, want) >= 85):
            return True
    return False


def score(rows: list[dict[str, str]], first: dict[str, dict[str, str]]) -> dict[str, object]:
    """Accuracy per field over the rows labelled for that field, and the ids missed."""
    checks = {
        "figure": lambda o, r: _int(o.get("figure")) == _int(r["figure"]),
        "unit": lambda o, r: o.get("unit", "").casefold() == r["unit"].casefold(),
        "term": lambda o, r: o.get("term", "") == r["term"].casefold().replace(" ", "_"),
        "country": lambda o, r: o.get("iso3", "") == r["country"].upper(),
        "location": lambda o, r: same_place(o.get("place_name", ""), r["location"]),
    }
    out: dict[str, object] = {"rows": len(rows), "with_a_fact": sum(r["id"] in first for r in rows)}
    for field, check in checks.items():
        labelled = [r for r in rows if r[field]]
        missed = [r["id"] for r in labelled if not check(first.get(r["id"], {}), r)]
        out[field] = {
            "accuracy": round(1 - len(missed) / len(labelled), 3) if labelled else None,
            "labelled": len(labelled),
            "missed_ids": missed,
        }
    return out


def _int(value: str | None) -> int | None:
    try:
        return int(float(str(value).replace(",", "")))
    except ValueError:
        return None


def throughput() -> dict[str, object]:
    """Articles per second on one core, in process, over the scraped articles with text."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.insert(0, str(ROOT))
    from transforms.extract import extract

    texts = []
    with (ARTICLES / "d4d_scraped_articles.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            content = json.loads(line).get("content") or ""
            if len(content) > 200 and content != "retrieval_failed":
                texts.append(content)
    started = time.perf_counter()
    # Built once per process: the place index and the regexes.
    extract("Some 300 people were displaced in Goma on Sunday, 2 March.", date(2025, 3, 4))
    warmup = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    facts = sum(len(extract(t)) for t in texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    chars = sum(len(t) for t in texts)
    return {
        "articles": len(texts),
        "mean_chars": round(chars / len(texts)),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "articles_per_second": round(len(texts) / seconds, 1),
        "articles_per_cpu_second": round(len(texts) / cpu, 1),
        "articles_per_second_at_3kb": round(chars / 3000 / seconds, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "facts": facts,
        "startup_seconds": round(warmup, 2),
    }


def main() -> int:
    if not ARTICLES.is_dir():
        print(f"skipped: {ARTICLES} not found")
        return 0
    show = "--show-misses" in sys.argv
    label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv else "current"
    sets = labelled_sets()
    part_of = split(sets)
    scored: dict[str, object] = {}
    for name, rows in sets.items():
        first, seconds = run_extract(rows)
        entry: dict[str, object] = {**score(rows, first), "command_seconds": round(seconds, 2)}
        for part in ("dev", "test"):
            entry[part] = score([r for r in rows if part_of[(name, r["id"])] == part], first)
        scored[name] = entry
        if show:
            _show([r for r in rows if part_of[(name, r["id"])] == "dev"], first)
    for part in ("dev", "test"):  # both sets together, per part
        both = {f: [0, 0] for f in FIELDS}
        for name in sets:
            one = scored[name][part]  # type: ignore[index]
            for f in FIELDS:
                if one[f]["accuracy"] is not None:
                    both[f][0] += one[f]["labelled"] - len(one[f]["missed_ids"])
                    both[f][1] += one[f]["labelled"]
        scored[f"{part}_both_sets"] = {
            f: {"accuracy": round(ok / n, 3) if n else None, "labelled": n}
            for f, (ok, n) in both.items()
        }
    scored["throughput"] = throughput()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = {k: v for k, v in results.items() if k in ("baseline", "current") and k != label}
    results = {"note": NOTE, "split": SPLIT_NOTE, **results, label: scored}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    shown = ("dev", "test") if "--final" in sys.argv else ("dev",)  # test: read once, at the end
    for name in (*sets, *(f"{p}_both_sets" for p in shown)):
        part = scored[name]
        assert isinstance(part, dict)
        for p in shown:
            if p in part:
                print(f"{name} {p}", {f: part[p][f]["accuracy"] for f in FIELDS})
            elif name.startswith(p):
                print(name, {f: part[f]["accuracy"] for f in FIELDS})
    print("throughput", scored["throughput"])
    return 0


def _show(rows: list[dict[str, str]], first: dict[str, dict[str, str]]) -> None:
    """Label against output for every row with a wrong field (for local error analysis)."""
    scored = score(rows, first)
    for r in rows:
        wrong = "".join(
            f[0].upper()
            for f in ("figure", "unit", "term", "country", "location")
            if r["id"] in scored[f]["missed_ids"]  # type: ignore[index]
        )
        if wrong:
            o = first.get(r["id"], {})
            got = [o.get(k, "") for k in ("figure", "unit", "term", "iso3", "place_name")]
            want = [r["figure"], r["unit"], r["term"], r["country"], r["location"]]
            print(f"{r['id']:>4} {wrong:5} want {want} got {got}\n      {r['text'][:200]!r}")


if __name__ == "__main__":
    raise SystemExit(main())
