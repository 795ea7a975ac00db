"""Seeded generators of benchmark inputs at any size: DTM HDX CSV, IDU JSON, article texts.

Same seed and size give the same bytes. Places are real HTI and TCD p-codes from the
bundled gazetteer; every other value is made up. A small, fixed share of rows is broken
on purpose (unparseable figure, bad country code, duplicate record) so the quarantine
path is exercised at every size.

    python bench/generate.py dtm 1000000 /tmp/dtm.csv
    python bench/generate.py idu 100000 /tmp/idu.json
    python bench/generate.py articles 500 /tmp/articles/
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.gazetteer import admin_units

COUNTRIES = {"HTI": "Haiti", "TCD": "Chad"}
OPERATIONS = {
    "HTI": ["Countrywide monitoring", "Haiti Earthquake", "Hurricane Matthew"],
    "TCD": ["Lake Chad Basin Crisis"],
}
REASONS = ["Conflict", "Natural disaster", "Insecurity", "Other reason"]
ASSESSMENTS = ["BA", "SA"]
DTM_COLUMNS = {
    "id": "#id+code",
    "operation": "#operation+name",
    "admin0Name": "#country+name",
    "admin0Pcode": "#country+code",
    "admin1Name": "#adm1+name",
    "admin1Pcode": "#adm1+code",
    "admin2Name": "#adm2+name",
    "admin2Pcode": "#adm2+code",
    "adminLevel": "#adm+level",
    "numPresentIdpInd": "#affected+idps",
    "reportingDate": "#date+reported",
    "yearReportingDate": "#date+year+reported",
    "monthReportingDate": "#date+month+reported",
    "roundNumber": "#round+code",
    "displacementReason": "#cause+type",
    "numberMales": "#affected+idps+m",
    "numberFemales": "#affected+idps+f",
    "idpOriginAdmin1Name": "#adm1+name+origin",
    "idpOriginAdmin1Pcode": "#adm1+code+origin",
    "assessmentType": "#assessment+type",
    "operationStatus": "#operation+status",
}
# One row in this many is broken on purpose, each way.
BAD_FIGURE_EVERY = 2003
BAD_COUNTRY_EVERY = 5009
DUPLICATE_EVERY = 4001
FIRST_DAY = date(2008, 1, 1)


def places() -> dict[str, np.ndarray]:
    """Every admin 0, 1 and 2 unit of HTI and TCD, one entry per unit, as parallel arrays."""
    units = admin_units()
    units = units[units["iso3"].isin(list(COUNTRIES))]
    names = dict(zip(units["pcode"], units["name"], strict=True))
    rows = [(iso3, 0, "", "", "", "") for iso3 in COUNTRIES]
    for u in units.itertuples():
        if u.level == 1:
            rows.append((u.iso3, 1, u.pcode, u.name, "", ""))
        else:
            parent = str(u.parent_pcode)
            rows.append((u.iso3, 2, parent, names.get(parent, ""), u.pcode, u.name))
    cols = list(zip(*sorted(rows), strict=True))
    keys = ["iso3", "level", "adm1", "adm1_name", "adm2", "adm2_name"]
    return {
        k: np.array(v, dtype=object if k != "level" else np.int64)
        for k, v in zip(keys, cols, strict=True)
    }


def dtm_chunk(start: int, stop: int, rng: np.random.Generator, units: dict) -> pa.Table:
    """Rows start..stop-1: unit, reason, assessment and round vary so record keys stay unique."""
    i = np.arange(start, stop)
    combos = len(units["iso3"]) * len(REASONS) * len(ASSESSMENTS)
    unit = i % len(units["iso3"])
    reason = (i // len(units["iso3"])) % len(REASONS)
    assess = (i // (len(units["iso3"]) * len(REASONS))) % len(ASSESSMENTS)
    rnd = i // combos + 1
    iso3 = units["iso3"][unit].astype(object)
    level = units["level"][unit]
    days = [FIRST_DAY + timedelta(days=d) for d in range(int(rnd.max()) + 1)]
    figure = rng.integers(10, 60000, size=len(i))
    males = np.where(rng.random(len(i)) < 0.75, figure // 2, -1)
    op_pick = rng.integers(0, 3, size=len(i))
    operation = np.where(iso3 == "TCD", OPERATIONS["TCD"][0], np.array(OPERATIONS["HTI"])[op_pick])
    figure_text = figure.astype(str).astype(object)
    figure_text[i % BAD_FIGURE_EVERY == BAD_FIGURE_EVERY - 1] = "n/a"
    pcode0 = iso3.copy()
    pcode0[i % BAD_COUNTRY_EVERY == BAD_COUNTRY_EVERY - 1] = "t1"
    return pa.table(
        {
            "id": _blank_where(i.astype(str).astype(object), level == 0),
            "operation": operation,
            "admin0Name": np.vectorize(COUNTRIES.get, otypes=[object])(iso3),
            "admin0Pcode": pcode0,
            "admin1Name": units["adm1_name"][unit],
            "admin1Pcode": units["adm1"][unit],
            "admin2Name": units["adm2_name"][unit],
            "admin2Pcode": units["adm2"][unit],
            "adminLevel": level,
            "numPresentIdpInd": figure_text,
            "reportingDate": np.array([f"{d.isoformat()}T00:00:00" for d in days])[rnd],
            "yearReportingDate": np.array([d.year for d in days])[rnd],
            "monthReportingDate": np.array([d.month for d in days])[rnd],
            "roundNumber": rnd,
            "displacementReason": np.array(REASONS)[reason],
            "numberMales": _blank_where(males.astype(str).astype(object), males < 0),
            "numberFemales": _blank_where((figure - males).astype(str).astype(object), males < 0),
            "idpOriginAdmin1Name": np.full(len(i), "Not available"),
            "idpOriginAdmin1Pcode": np.full(len(i), "Not available"),
            "assessmentType": np.array(ASSESSMENTS)[assess],
            "operationStatus": np.where(rnd % 7 == 0, "Inactive", "Active"),
        }
    )


def _blank_where(values: np.ndarray, blank: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[blank] = ""
    return out


def _with_duplicates(table: pa.Table, start: int) -> pa.Table:
    """Repeat the previous row at every DUPLICATE_EVERY-th position (same record twice)."""
    i = np.arange(start, start + len(table))
    take = np.where(
        (i % DUPLICATE_EVERY == DUPLICATE_EVERY - 1) & (i > start), i - start - 1, i - start
    )
    return table.take(pa.array(take))


def write_dtm_csv(path: Path, rows: int, seed: int = 7, chunk: int = 250_000) -> Path:
    """A DTM HDX CSV (header, HXL hashtag row, `rows` data rows) like the global HDX export."""
    rng = np.random.default_rng(seed)
    units = places()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write((",".join(DTM_COLUMNS) + "\n" + ",".join(DTM_COLUMNS.values()) + "\n").encode())
        for start in range(0, rows, chunk):
            table = _with_duplicates(dtm_chunk(start, min(rows, start + chunk), rng, units), start)
            table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            pacsv.write_csv(table, f, options)
    return path


def idu_records(count: int, seed: int = 7) -> list[dict[str, object]]:
    """IDMC IDU API records (the fields of `external-api/idus/`), made up but well formed."""
    rng = np.random.default_rng(seed)
    units = places()
    kinds = [("Conflict", "Violence", "Conflict"), ("Disaster", "Flood", "Weather related")]
    qualifiers = ["total", "approximately", "more than"]
    out = []
    for n in range(count):
        u = int(rng.integers(0, len(units["iso3"])))
        dtype, hazard, category = kinds[n % 2]
        day = (FIRST_DAY + timedelta(days=int(rng.integers(0, 6000)))).isoformat()
        lat, lon = float(rng.uniform(8, 20)), float(rng.uniform(-74, 23))
        place = units["adm2_name"][u] or units["adm1_name"][u] or COUNTRIES[units["iso3"][u]]
        figure = int(rng.integers(1, 50000))
        text = f"{figure} people displaced by {hazard.lower()} in {place}"
        out.append(
            {
                "id": 100000 + n,
                "country": COUNTRIES[units["iso3"][u]],
                "iso3": units["iso3"][u],
                "latitude": round(lat, 5),
                "longitude": round(lon, 5),
                "centroid": f"[{lat:.5f}, {lon:.5f}]",
                "displacement_type": dtype,
                "qualifier": qualifiers[n % 3],
                "figure": figure,
                "displacement_date": f"{day}T00:00:00.000Z",
                "displacement_start_date": f"{day}T00:00:00.000Z",
                "displacement_end_date": f"{day}T00:00:00.000Z",
                "year": int(day[:4]),
                "event_name": f"{COUNTRIES[units['iso3'][u]]}: {hazard} - {place} - {day}",
                "event_start_date": f"{day}T00:00:00.000Z",
                "event_end_date": f"{day}T00:00:00.000Z",
                "category": category,
                "subcategory": hazard,
                "type": hazard,
                "subtype": hazard,
                "standard_popup_text": f"<b>{text}</b>",
                "standard_info_text": f"<b>{text}</b>",
                "old_id": None,
                "created_at": f"{day}T12:00:00.000Z",
            }
        )
    return out


def write_idu_json(path: Path, count: int, seed: int = 7) -> Path:
    """An IDU API body (a JSON list) of `count` records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(idu_records(count, seed)))
    return path


SENTENCES = [
    "Fighting between armed groups forced more than {n} people to flee {place} on {day}.",
    "Local authorities said about {n} households were sheltered in schools around {place}.",
    "Aid agencies estimate that {n} residents of {place} have been displaced since {day}.",
    "Heavy rains destroyed {n} homes in {place}, according to the civil protection office.",
    "Up to {n} people returned to {place} after the water receded in {month}.",
    "The humanitarian coordinator called for access to the roads leading to {place}.",
    "Markets in {place} stayed closed and prices of staple food rose sharply.",
    "Health workers reported cases of cholera among families living in camps near {place}.",
    "Schools in {place} remain closed and teachers have not been paid for months.",
    "Convoys carrying food and water reached {place} after days of negotiation.",
]


def article_text(n: int, rng: np.random.Generator, names: list[str]) -> str:
    """One article of about 3 KB in the seed format: summary, body, `Original Source:` line."""
    paragraphs = []
    while sum(len(p) for p in paragraphs) < 2900:
        picks = rng.integers(0, len(SENTENCES), size=4)
        day = FIRST_DAY + timedelta(days=int(rng.integers(0, 6000)))
        paragraphs.append(
            " ".join(
                SENTENCES[k].format(
                    n=f"{int(rng.integers(2, 900)) * 100:,}",
                    place=names[int(rng.integers(0, len(names)))],
                    day=f"{day.day} {day:%B %Y}",
                    month=f"{day:%B}",
                )
                for k in picks
            )
        )
    return "\n".join(paragraphs) + f"\nOriginal Source: https://news.example.org/story/{n}\n"


def write_articles(folder: Path, count: int, seed: int = 7) -> Path:
    """`count` article files `article-NNNNNN.txt` in folder."""
    rng = np.random.default_rng(seed)
    units = places()
    names = sorted({str(n) for n in units["adm2_name"] if n} | {"Port-au-Prince", "N'Djamena"})
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"article-{n:06d}.txt").write_text(article_text(n, rng, names))
    return folder


def news_html(size: int, rng: np.random.Generator, names: list[str], run_on: bool) -> str:
    """About `size` characters of news paragraphs as HTML; `run_on` joins every sentence with
    commas into one paragraph (a list or table dump: no sentence end for the splitter)."""
    parts: list[str] = []
    total = 0
    while total < size:
        para = article_text(len(parts), rng, names).rsplit("\nOriginal Source:", 1)[0]
        if run_on:
            para = para.replace(". ", ", and ").replace(".\n", ", and ")
        piece = para if run_on else "".join(f"<p>{p}</p>\n" for p in para.split("\n"))
        parts.append(piece)
        total += len(piece)
    return "".join(parts)[:size]


def write_feed_item(path: Path, kib: int, seed: int = 7, run_on: bool = False) -> Path:
    """An RSS 2.0 feed of one item whose description is `kib` KiB of news HTML (escaped)."""
    rng = np.random.default_rng(seed)
    units = places()
    names = sorted({str(n) for n in units["adm2_name"] if n} | {"Port-au-Prince", "N'Djamena"})
    text = html.escape(news_html(kib * 1024, rng, names, run_on), quote=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>'
        "<item><title>One large item</title><link>https://news.example.org/large</link>"
        f"<pubDate>Mon, 03 Feb 2025 10:00:00 GMT</pubDate><description>{text}</description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["dtm", "idu", "articles", "feed-item", "feed-run-on"])
    parser.add_argument("size", type=int, help="rows, records, articles or KiB of one item")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.kind.startswith("feed"):
        print(write_feed_item(args.out, args.size, args.seed, args.kind == "feed-run-on"))
        return
    writers = {"dtm": write_dtm_csv, "idu": write_idu_json, "articles": write_articles}
    print(writers[args.kind](args.out, args.size, args.seed))


if __name__ == "__main__":
    main()
