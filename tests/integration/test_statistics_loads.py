"""IDMC and UNHCR files through the real pipeline into DuckDB: balance, sums, reloads, revisions."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl

from flows.pipeline import run_source
from flows.settings import SourceConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UNHCR_COLUMNS = ("refugees", "asylum_seekers", "idps", "returned_refugees", "returned_idps")
LEGACY_COLUMNS = ("REF", "IDP", "ASY", "RET", "RDP")
GIDD_COLUMNS = ("new_displacement", "total_displacement", "Conflict Stock Displacement",
                "Conflict New Displacements", "Disaster New Displacements",
                "Disaster Stock Displacement")  # fmt: skip
ODP_TYPES = {"REF", "ASY", "IDP", "RET"}
FILES = {
    "idmc-idu": ["idmc_idu_api_IND_slice.json", "idmc_idu_hdx_hxl_AFG_empty.csv"],
    "idmc-gidd": [
        "idmc_gidd_disasters_page_1_slice.json",
        "idmc_gidd_hdx_disasters_AFG_slice.csv",
        "idmc_gidd_country_year_hxl_slice.csv",
    ],
    "unhcr": [
        "unhcr_population_2022_slice.csv",
        "unhcr_legacy_HDX_EndYearPopulationTotals_slice.csv",
        "unhcr_legacy_HDX_Solutions_slice.csv",
        "unhcr_legacy_HDX_AsylumApplications_slice.csv",
        "unhcr_odp_population-collection-4-geo-id-1.json",
        "unhcr_odp_population-collection-29-geo-id-1.json",
        "unhcr_odp_population-collection-28-geo-id-1.json",
        "unhcr_odp_population-collection-28-geo-id-598.json",
        "unhcr_odp_get-origin-geo-id-295-population-collection-429.json",
        "unhcr_odp_hdx_situations.csv",
        "unhcr_prmn_som_slice.xlsx",
    ],
}


def source_figures(path: Path) -> int:
    """The sum of the displacement figures a file states, duplicates counted once."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return sum(row[4] for row in sheet.iter_rows(min_row=2, values_only=True))
    if path.suffix == ".json":
        body = json.loads(path.read_text())
        if isinstance(body, list):  # IDU API
            return sum(r["figure"] for r in body)
        if "data" in body:
            return sum(odp_figure(r) for r in body["data"])
        rows = list({json.dumps(r, sort_keys=True): r for r in body["results"]}.values())
    else:
        table = csv.DictReader(io.StringIO(path.read_text()))
        rows = [r for r in table if not any(str(v).startswith("#") for v in r.values())]
    cells = [r.get(c) for r in rows for c in (*GIDD_COLUMNS, *UNHCR_COLUMNS, *LEGACY_COLUMNS)]
    cells += [r.get(c) for r in rows for c in ("Individuals", "figure")]
    return sum(int(float(v)) for v in cells if v not in (None, "", "NA"))


def odp_figure(record: dict) -> int:
    groups = record.get("population_groups")
    codes = {g["pop_type_code"] for g in groups} if isinstance(groups, list) else set()
    kind = record.get("pop_type_code") or (codes.pop() if len(codes) == 1 else None)
    return int(record["individuals"]) if kind in ODP_TYPES and record["individuals"] else 0


def table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def counts(home: Path) -> dict[str, int]:
    tables = ("displacement", "quarantine", "displacement_history")
    return {t: table(home, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def test_files_load_balanced_with_source_sums_and_reload_unchanged(prefect_api, home) -> None:
    sources = [
        SourceConfig(name=kind, kind=kind, location=[str(FIXTURES / f) for f in files])
        for kind, files in FILES.items()
    ]
    for source in sources:
        run_source(source, str(home))
    before = counts(home)
    loaded = dict(table(home, "SELECT source_url, sum(figure) FROM displacement GROUP BY 1"))
    for files in FILES.values():
        for name in files:
            assert loaded.get(str(FIXTURES / name), 0) == source_figures(FIXTURES / name), name
    assert table(home, "SELECT count(*) FROM quarantine")[0][0] == 1  # the GIDD duplicate
    for source in sources:
        run_source(source, str(home), force=True)  # loaded again, not skipped as unchanged
    assert counts(home) == before  # nothing replaced by a different version either
    assert before["displacement_history"] == 0
    unbalanced = (
        "SELECT count(*) FROM load_run_tables WHERE rows_in <> rows_loaded + rows_quarantined"
    )
    assert table(home, unbalanced) == [(0,)]
    assert table(home, "SELECT count(*) FROM load_runs WHERE status <> 'loaded'") == [(0,)]


def test_a_revised_idu_record_replaces_its_figure_and_keeps_the_old_one(
    prefect_api, home, tmp_path
) -> None:
    folder = tmp_path / "idu"
    folder.mkdir()
    shutil.copy(FIXTURES / "idmc_idu_hdx_hxl_AFG_empty.csv", folder)
    target = folder / "idu_IND.json"
    records = json.loads((FIXTURES / "idmc_idu_api_IND_slice.json").read_text())
    target.write_text(json.dumps(records))
    source = SourceConfig(name="idu", kind="idmc-idu", location=[str(folder)])
    run_source(source, str(home))
    assert counts(home) == {
        "displacement": len(records),
        "quarantine": 0,
        "displacement_history": 0,
    }
    records[0]["figure"], records[0]["qualifier"] = 5, "approximately"
    target.write_text(json.dumps(records))
    run_source(source, str(home))
    figure = "SELECT figure, qualifier FROM displacement WHERE source_record_id = '126716'"
    assert table(home, figure) == [(5, "approximately")]
    history = table(home, "SELECT source_record_id, figure, qualifier, record->>'figure' "
                          "FROM displacement_history")  # fmt: skip
    assert history == [("126716", 2, "exact", "2")]
    assert counts(home)["displacement"] == len(records)
