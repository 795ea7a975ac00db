"""The materialised figures (schema `figures`) equal their views after every kind of load, and
the named queries read them.

Lake files are real Parquet written here; loads go through warehouse.load into a real DuckDB
file. Countries: COD and TCD from `dtm` (breakdown rows by reason and origin, admin1 and a
country row), COD and HTI from `hapi` (reported totals), new displacement from `idu`,
articles with facts about COD and SDN from `rss`.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.figures import MATERIALISED
from warehouse.load import LoadRequest, TableLoad, load
from warehouse.preferences import PREFERENCES, sync_preferences
from warehouse.query import named_sql, run_query

RETRIEVED = datetime(2025, 3, 1, tzinfo=UTC)
DTM_URL = "https://dtm.example.org/global.csv"


def stock(source: str, iso3: str, level: int, when: str, figure: int, **more: Any) -> dict:
    """A displacement row: IDP stock in people."""
    return {
        "iso3": iso3,
        "admin_level": level,
        "metric": "idp_stock",
        "cause": "conflict",
        "figure": figure,
        "unit": "people",
        "qualifier": "exact",
        "period_start": date.fromisoformat(when),
        "period_end": date.fromisoformat(when),
        "source": source,
        "source_url": DTM_URL if source == "dtm" else f"https://{source}.example.org/file",
        "retrieved_at": RETRIEVED,
    } | more


def breakdown(iso3: str, pcode: str, when: str, figures: list[int], round_no: int) -> list[dict]:
    """DTM rows of one admin1 unit and round, one per reason and origin."""
    return [
        stock(
            "dtm",
            iso3,
            1,
            when,
            figure,
            admin1_pcode=pcode,
            round_number=round_no,
            assessment_type="BA",
            event_name=f"{iso3} operation",
            extra=f'{{"displacementReason": "r{n % 2}", "idpOriginAdmin1Pcode": "o{n}"}}',
        )
        for n, figure in enumerate(figures)
    ]


def dtm_rows(scale: int = 1, drop_cd62: bool = False) -> list[dict]:
    rows = []
    for round_no, when in ((1, "2024-01-31"), (2, "2024-06-30")):
        rows += breakdown("COD", "CD61", when, [1000 * scale * round_no, 2500, 300], round_no)
        if not drop_cd62:
            rows += breakdown("COD", "CD62", when, [4000 * round_no, 100], round_no)
        rows += breakdown("TCD", "TD01", when, [700 * scale, 800], round_no)
        rows.append(stock("dtm", "TCD", 0, when, 900 * round_no, round_number=round_no))
    return rows


def hapi_rows(figure: int = 50_000) -> list[dict]:
    return [
        stock("hapi", "COD", 0, "2024-05-31", figure),
        stock("hapi", "HTI", 1, "2024-05-31", 12_000, admin1_pcode="HT01"),
        stock("hapi", "HTI", 1, "2024-05-31", 8_000, admin1_pcode="HT02"),
    ]


def idu_rows() -> list[dict]:
    return [
        stock("idu", "COD", 0, when, figure, metric="new_displacement")
        for when, figure in (("2024-03-01", 1500), ("2024-04-02", 200))
    ]


ARTICLES = [
    {"article_id": "A1", "url": "https://news.example.org/1", "title": "Fighting in Ituri",
     "published_at": datetime(2024, 7, 2, tzinfo=UTC)},
    {"article_id": "A2", "url": "https://news.example.org/2", "title": "Sudan",
     "published_at": datetime(2024, 7, 5, tzinfo=UTC)},
]  # fmt: skip
FACTS = [
    {"article_id": "A1", "fact_no": 1, "iso3": "COD", "admin1_pcode": "CD61", "figure": 240_000,
     "place_name": "Ituri"},
    {"article_id": "A1", "fact_no": 2, "iso3": "COD", "figure": 7_000_000, "place_name": "Congo"},
    {"article_id": "A2", "fact_no": 1, "iso3": "SDN", "figure": 10_000, "place_name": "Darfur"},
]  # fmt: skip


def lake_file(folder: Path, name: str, rows: list[dict], run_id: str) -> str:
    """Rows as a lake Parquet file, lineage filled in."""
    path = folder / f"{name}.parquet"
    lineage = {"load_run_id": run_id, "record_hash": None}
    full = []
    for n, row in enumerate(rows):
        row = {"source_record_id": f"{row.get('source', 'rss')}-{n}"} | lineage | row
        row["record_hash"] = str(hash(tuple(sorted(map(str, row.items())))))
        full.append(row)
    columns = sorted({k for row in full for k in row})
    pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in full]), path)
    return str(path)


def load_rows(
    db: Path, folder: Path, run_id: str, source: str, kind: str, tables: dict[str, list[dict]]
) -> list[str]:
    """One source run of these tables' rows, replacing the files they came from; the
    countries it touched."""
    parts, urls = [], set()
    for table, rows in tables.items():
        stamped = [{"source": source} | r for r in rows]
        urls |= {r["source_url"] for r in stamped if "source_url" in r}
        path = lake_file(folder, f"{run_id}-{table}", stamped, run_id)
        parts.append(TableLoad(table, path, None, len(rows), len(rows), 0))
    request = LoadRequest(run_id, source, kind, RETRIEVED, parts, replace_urls=sorted(urls))
    return load(db, request)


def differences(db: Path) -> dict[str, tuple[int, int, int]]:
    """Per materialised view whose table differs: (view rows, table rows, rows not in both)."""
    found = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for name in MATERIALISED:
            view = con.execute(f"SELECT count(*) FROM main.{name}").fetchone()
            table = con.execute(f"SELECT count(*) FROM figures.{name}").fetchone()
            apart = con.execute(
                f"SELECT count(*) FROM ((FROM main.{name} EXCEPT ALL FROM figures.{name}) "
                f"UNION ALL (FROM figures.{name} EXCEPT ALL FROM main.{name}))"
            ).fetchone()
            assert view and table and apart
            if apart[0] or view[0] != table[0]:
                found[name] = (view[0], table[0], apart[0])
    return found


def figures_of(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """A warehouse after one load of each source, the figures checked after each."""
    db = tmp_path / "warehouse.duckdb"
    load_rows(db, tmp_path, "dtm-1", "dtm", "dtm", {"displacement": dtm_rows()})
    assert differences(db) == {}
    load_rows(db, tmp_path, "hapi-1", "hapi", "hapi-idps", {"displacement": hapi_rows()})
    assert differences(db) == {}
    load_rows(db, tmp_path, "idu-1", "idu", "idmc-idu", {"displacement": idu_rows()})
    assert differences(db) == {}
    articles = [a | {"source_url": "https://news.example.org/feed"} for a in ARTICLES]
    facts = [f | {"unit": "people", "term": "displaced"} for f in FACTS]
    load_rows(db, tmp_path, "rss-1", "rss", "rss", {"articles": articles, "article_facts": facts})
    assert differences(db) == {}
    return db


def test_every_materialised_view_has_rows(loaded: Path) -> None:
    empty = [n for n in MATERIALISED if not figures_of(loaded, f"SELECT 1 FROM figures.{n}")]
    assert empty == []
    assert figures_of(loaded, "SELECT DISTINCT iso3 FROM figures.country_sources ORDER BY 1") == [
        ("COD",),
        ("HTI",),
        ("SDN",),
        ("TCD",),
    ]


def test_a_replacing_load_keeps_them_equal(loaded: Path, tmp_path: Path) -> None:
    before = figures_of(loaded, "SELECT figure FROM figures.latest_idp_country WHERE iso3 = 'COD'")
    touched = load_rows(
        loaded, tmp_path, "dtm-2", "dtm", "dtm", {"displacement": dtm_rows(3, drop_cd62=True)}
    )
    assert touched == ["COD", "TCD"]
    assert differences(loaded) == {}
    after = figures_of(loaded, "SELECT figure FROM figures.latest_idp_country WHERE iso3 = 'COD'")
    assert after != before
    units = "SELECT admin1_pcode FROM figures.latest_idp_stock WHERE source = 'dtm'"
    assert ("CD62",) not in figures_of(loaded, units)


def test_a_failed_load_leaves_them_as_they_were(loaded: Path, tmp_path: Path) -> None:
    copy = tmp_path / "before.duckdb"
    shutil.copyfile(loaded, copy)
    good = lake_file(tmp_path, "hapi-2", [{"source": "hapi"} | r for r in hapi_rows(9)], "hapi-2")
    request = LoadRequest(
        "hapi-2",
        "hapi",
        "hapi-idps",
        RETRIEVED,
        [
            TableLoad("displacement", good, None, 3, 3, 0),
            TableLoad("displacement", str(tmp_path / "missing.parquet"), None, 1, 1, 0),
        ],
    )
    with pytest.raises(duckdb.IOException):
        load(loaded, request)
    assert differences(loaded) == {}
    every = "SELECT * FROM figures.preferred_idp_figure ORDER BY ALL"
    assert figures_of(loaded, every) == figures_of(copy, every)


def test_a_load_refreshes_only_the_countries_it_touched(loaded: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(loaded)) as con:
        con.execute("UPDATE figures.idp_stock_history SET figure = -1 WHERE iso3 = 'TCD'")
    touched = load_rows(
        loaded, tmp_path, "hapi-2", "hapi", "hapi-idps", {"displacement": hapi_rows(60_000)}
    )
    assert touched == ["COD", "HTI"]
    assert list(differences(loaded)) == ["idp_stock_history"]  # TCD: not touched by hapi
    cod = "SELECT figure FROM figures.latest_idp_country WHERE source = 'hapi' AND iso3 = 'COD'"
    assert figures_of(loaded, cod) == [(60_000,)]


def test_changed_preferences_rebuild_them(loaded: Path, tmp_path: Path) -> None:
    prefs = tmp_path / "preferences.toml"
    prefs.write_text(PREFERENCES.read_text().replace("dtm = 1", "dtm = 9"))
    winner = "SELECT source FROM figures.preferred_idp_figure WHERE iso3 = 'COD' AND admin_level=0"
    assert figures_of(loaded, winner) == [("dtm",)]
    sync_preferences(loaded, prefs)
    assert differences(loaded) == {}
    assert figures_of(loaded, winner) == [("hapi",)]


def test_named_queries_read_the_tables_while_current(loaded: Path) -> None:
    sql = named_sql("preferred_figures")
    with duckdb.connect(str(loaded)) as con:
        con.execute("UPDATE figures.preferred_idp_figure SET figure = 1 WHERE iso3 = 'TCD'")
    _, rows = run_query(loaded, sql, {"iso3": "TCD"})
    assert {row[5] for row in rows} == {1}
    _, rows = run_query(loaded, named_sql("countries"), {"iso3": "TCD"})
    assert rows[0][2] == 1  # country_summary.idps, live, over the table
    with duckdb.connect(str(loaded)) as con:
        con.execute("UPDATE _figures SET inputs = 'from other definitions'")
    _, rows = run_query(loaded, sql, {"iso3": "TCD"})
    assert 1 not in {row[5] for row in rows}  # not current: the views answer
