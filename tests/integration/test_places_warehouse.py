"""Reference dimensions in DuckDB, and DTM, HAPI and HXL files loaded through the pipeline."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import openpyxl

from flows.pipeline import run_source
from flows.settings import SourceConfig
from warehouse.db import migrate, transaction
from warehouse.dims import load_dims

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = {
    "dtm": [
        "dtm_hdx_global_slice.csv",
        "dtm_car_baseline_assessment_round_14_slice.xlsx",
        "dtm_ethiopia_site_assessment_round_28_slice.xlsx",
        "dtm_nigeria_baseline_assessment_round_38_slice.xlsx",
    ],
    "hapi-idps": ["hapi_idps_slice.csv"],
    "hxl": ["idmc_idps_country_year_slice_hxl.csv", "dtm_ethiopia_sites_slice_hxl.csv"],
}
# Cause breakdowns beside a total (Nigeria's sheet) are not figures of their own.
FIGURE_TAGS = (
    "#affected+idps",
    "#affected+idps+hh",
    "#affected+idps+ind",
    *(
        f"#affected+idps+ind+{k}+{c}"
        for k in ("stock", "newdisp")
        for c in ("conflict", "disaster")
    ),
)


def source_sum(path: Path) -> int:
    """The figures a file states, read without sitrep's transforms."""
    if path.suffix == ".xlsx":
        cells = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].values)
    else:
        cells = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    if cells[0][0] == "location_code":  # HAPI: no HXL row, the population column
        col = cells[0].index("population")
        return sum(int(r[col]) for r in cells[1:])
    tags = list(cells[1])
    wanted = [i for i, t in enumerate(tags) if t in FIGURE_TAGS]
    return sum(int(float(r[i])) for r in cells[2:] for i in wanted if r[i] not in (None, ""))


def test_dimensions_come_from_the_gazetteer_and_reload_only_when_stale() -> None:
    con = duckdb.connect()
    migrate(con)
    with transaction(con):
        assert load_dims(con) is True
    walikale = con.execute("SELECT iso3, level, name, parent_pcode FROM dim_admin WHERE pcode = ?",
                           ["CD6104"]).fetchall()  # fmt: skip
    assert walikale == [("COD", 2, "Walikale", "CD61")]
    assert con.execute("SELECT name FROM dim_admin WHERE pcode = 'CD61'").fetchall() == [
        ("Nord-Kivu",)
    ]
    codes = {r[0] for r in con.execute("SELECT iso3 FROM dim_country").fetchall()}
    assert {"COD", "COG", "TCD", "HTI", "XKX", "AB9"} <= codes
    with transaction(con):
        assert load_dims(con) is False  # same bundled files: nothing to do
        con.execute("UPDATE reference_data SET sha256 = 'older files'")
        assert load_dims(con) is True
        con.execute("DELETE FROM dim_admin")
        assert load_dims(con) is True
    assert con.execute("SELECT count(*) FROM dim_admin").fetchone()[0] > 30000


def test_files_load_balanced_resolved_and_unchanged_on_reload(prefect_api, home) -> None:
    sources = [
        SourceConfig(name=f"{kind}-files", kind=kind, location=[str(FIXTURES / f) for f in files])
        for kind, files in FILES.items()
    ]
    db = str(home / "warehouse.duckdb")
    for source in sources:
        run_source(source, str(home))
    with duckdb.connect(db, read_only=True) as con:
        sums = dict(
            con.execute("SELECT source_url, sum(figure) FROM displacement GROUP BY 1").fetchall()
        )
        before = con.execute("SELECT count(*), sum(figure) FROM displacement").fetchone()
        unresolved = con.execute(
            "SELECT sum(unresolved), sum(rows) FROM admin_resolution"
        ).fetchone()
    for files in FILES.values():
        for name in files:
            assert sums[str(FIXTURES / name)] == source_sum(FIXTURES / name), name
    assert unresolved[0] == 0 and unresolved[1] > 100
    run_source(sources[0], str(home), force=True)  # loaded again: replaced, not added
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*), sum(figure) FROM displacement").fetchone() == before
        unbalanced = con.execute(
            "SELECT count(*) FROM load_run_tables WHERE rows_in <> rows_loaded + rows_quarantined"
        ).fetchone()
        statuses = con.execute("SELECT DISTINCT status FROM load_runs").fetchall()
        repaired = con.execute(
            "SELECT count(*) FROM displacement WHERE admin1_pcode = 'TCD07' "
            "AND json_extract_string(extra, '$.provider_admin1_pcode') = 'TD07'"
        ).fetchone()[0]
    assert unbalanced == (0,) and statuses == [("loaded",)]
    assert repaired > 0  # the provider's TD07 stays queryable beside the gazetteer code
