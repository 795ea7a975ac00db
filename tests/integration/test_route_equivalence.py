"""One provider's data through each shape it is published in gives the same warehouse.

For every kind published in more than one shape, both shapes of the same real data are loaded
by the real pipeline (`run_source`: transform, key check, expectations, load) into two DuckDB
warehouses, and `displacement` and `quarantine` are compared row by row. Where the fixtures
hold only one shape of some data, the other is derived from it as the provider writes it
(`routes.py` says how, shape by shape); the shared data set holds both shapes of DTM, IDU and
GIDD conflicts as published, and those tests skip when it is absent.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import pytest
import routes

from flows.pipeline import run_source
from flows.settings import SourceConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
COLUMNS = (
    "source_record_id, iso3, admin_level, admin1_pcode, admin2_pcode, place_name, metric, "
    "cause, figure, unit, qualifier, period_start, period_end, reported_on"
)
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")


def warehouse(home: Path, kind: str, paths: list[Path]) -> tuple[list[tuple], list[tuple]]:
    """Load `paths` as one source of `kind` into a new warehouse: its rows and quarantine."""
    source = SourceConfig(name=kind, kind=kind, location=[str(p) for p in paths])
    run_source(source, str(home), force=True)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(f"SELECT {COLUMNS} FROM displacement ORDER BY ALL").fetchall()
        held = con.execute(
            "SELECT source_record_id, regexp_extract(reason, '(conflicting figures|exact "
            "duplicate|unique)') FROM quarantine WHERE source_record_id IS NOT NULL ORDER BY ALL"
        ).fetchall()
    return rows, held


def same_warehouse(tmp_path: Path, kind: str, one: list[Path], other: list[Path]) -> int:
    """Both routes give the same rows and the same quarantine; returns the row count."""
    rows_one, held_one = warehouse(tmp_path / "one", kind, one)
    rows_other, held_other = warehouse(tmp_path / "other", kind, other)
    assert rows_one, f"{kind}: nothing loaded"
    missing = sorted(set(rows_one) - set(rows_other))[:3]
    extra = sorted(set(rows_other) - set(rows_one))[:3]
    assert rows_one == rows_other, (
        f"{kind}: only in {one[0].name}: {missing}; only in the other: {extra}"
    )
    assert held_one == held_other
    return len(rows_one)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pages(folder: Path, body: dict, size: int, order: str) -> list[Path]:
    """The records of a GIDD release as API pages of `size`, written in `order`."""
    results = body["results"]
    chunks = [results[i : i + size] for i in range(0, len(results), size)]
    numbers = list(range(len(chunks)))
    if order == "reversed":
        numbers.reverse()
    elif order == "shuffled":
        random.Random(15).shuffle(numbers)
    paths = []
    for at, n in enumerate(numbers):
        page = {"last_updated": body["last_updated"], "count": len(results), "next": None,
                "previous": None, "results": chunks[n]}  # fmt: skip
        paths.append(write(folder / f"page_{at:04d}.json", json.dumps(page)))
    return paths


@pytest.mark.parametrize(("size", "order"), [(100, "given"), (7, "reversed"), (1, "shuffled")])
def test_gidd_release_as_pages_in_any_order_and_size_or_as_the_hdx_csv(
    prefect_api, tmp_path, size, order
) -> None:
    body = json.loads((FIXTURES / "idmc_gidd_disasters_release_slice.json").read_text())
    csv = write(tmp_path / "hdx" / "disasters.csv", routes.gidd_disasters_csv(body["results"]))
    paged = pages(tmp_path / "pages", body, size, order)
    assert same_warehouse(tmp_path, "idmc-gidd", paged, [csv]) == known_figures(body["results"])


def known_figures(records: list[dict]) -> int:
    """Figure rows a release gives: its known figures, each exact duplicate record once."""
    distinct = {json.dumps(r, sort_keys=True): r for r in records}.values()
    fields = ("new_displacement", "total_displacement")
    return sum(r[f] is not None for r in distinct for f in fields)


def test_gidd_same_named_events_on_consecutive_pages_both_load(prefect_api, tmp_path) -> None:
    body = json.loads((FIXTURES / "idmc_gidd_disasters_release_slice.json").read_text())
    rows, held = warehouse(tmp_path / "w", "idmc-gidd", pages(tmp_path / "p", body, 100, "given"))
    nigeria = [r for r in rows if r[0].startswith("NGA|2012|Nigeria: Flood - 01/01/2012|")]
    assert sorted(r[8] for r in nigeria) == [23000, 3871063]  # pages 6 and 7 of the release
    exact = {json.dumps(r, sort_keys=True) for r in body["results"]}
    assert len(held) == len(body["results"]) - len(exact)  # only the exact duplicates
    assert {reason for _, reason in held} == {"exact duplicate"}


@needs_shared
def test_gidd_whole_shared_release_as_pages_or_csv(prefect_api, tmp_path) -> None:
    folder = SHARED / "idmc" / "gidd"
    records = [r for p in sorted(folder.glob("api_disasters_page_*.json"))
               for r in json.loads(p.read_text())["results"]]  # fmt: skip
    body = {"last_updated": "2025-05-13", "results": records}
    csv = write(tmp_path / "hdx" / "disasters.csv", routes.gidd_disasters_csv(records))
    paged = pages(tmp_path / "pages", body, 250, "reversed")
    assert same_warehouse(tmp_path, "idmc-gidd", paged, [csv]) == known_figures(records)


@needs_shared
def test_gidd_conflicts_api_pages_and_hdx_csv_as_published(prefect_api, tmp_path) -> None:
    folder = SHARED / "idmc" / "gidd"
    paged = sorted(folder.glob("api_conflicts_page_*.json"))
    assert same_warehouse(tmp_path, "idmc-gidd", paged, [folder / "hdx_conflict_idps.csv"]) > 0


def test_idu_api_and_hdx_csv_of_the_same_records(prefect_api, tmp_path) -> None:
    api = FIXTURES / "idmc_idu_api_IND_slice.json"
    csv = FIXTURES / "idmc_idu_hdx_hxl_IND_same_records.csv"
    assert same_warehouse(tmp_path, "idmc-idu", [api], [csv]) == 8


@needs_shared
@pytest.mark.parametrize("csv", ["idu_hdx_hxl_IND.csv", "idu_hdx_noHXL_IND.csv"])
def test_idu_api_and_hdx_csv_as_published(prefect_api, tmp_path, csv) -> None:
    folder = SHARED / "idmc" / "idu"
    assert same_warehouse(tmp_path, "idmc-idu", [folder / "idu_api_IND.json"], [folder / csv]) == 76


def test_dtm_api_and_hdx_csv_of_the_same_records(prefect_api, tmp_path) -> None:
    api = [FIXTURES / n for n in ("dtm_api_admin0_hti_slice.json", "dtm_api_admin1_hti_slice.json",
                                  "displacement-admin2-hti-slice.json",
                                  "displacement-admin0-tcd-slice.json")]  # fmt: skip
    csv = write(tmp_path / "hdx" / "dtm.csv", routes.dtm_hdx_csv(api))
    assert same_warehouse(tmp_path, "dtm", api, [csv]) > 30


@needs_shared
def test_dtm_api_and_hdx_csv_as_published(prefect_api, tmp_path) -> None:
    api = sorted((SHARED / "dtm" / "api").glob("displacement-admin?-*.json"))
    csv = SHARED / "dtm" / "hdx_global_dtm_admin0-2_hxl.csv"
    assert same_warehouse(tmp_path, "dtm", api, [csv]) > 1000


def test_unhcr_population_api_and_csv(prefect_api, tmp_path) -> None:
    api = [FIXTURES / f"unhcr_population_api_page_{n}.json" for n in (1, 2)]
    csv = FIXTURES / "unhcr_population_2022_slice.csv"
    assert same_warehouse(tmp_path, "unhcr", api, [csv]) > 12


def test_hapi_idps_json_and_csv(prefect_api, tmp_path) -> None:
    one, other = FIXTURES / "hapi_idps_slice.json", FIXTURES / "hapi_idps_slice.csv"
    assert same_warehouse(tmp_path, "hapi-idps", [one], [other]) == 16
