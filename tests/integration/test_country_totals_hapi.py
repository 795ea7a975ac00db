"""Country totals built from a whole DTM HDX global CSV equal the HDX HAPI IDP table built
from the same DTM data (HAPI: one row per admin unit, operation, assessment type and round).

The fixture pair (Chad) always runs; the whole shared files (Haiti and Chad) when
../shared/data is there.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import run_source
from flows.settings import SourceConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
PAIRS = {
    "fixture-tcd": (FIXTURES / "dtm_hdx_global_tcd.csv", FIXTURES / "hapi_idps_tcd.csv"),
    "shared-hti-tcd": (
        SHARED / "dtm" / "hdx_global_dtm_admin0-2_hxl.csv",
        SHARED / "hdx" / "hapi_idps_HTI_TCD.csv",
    ),
}
Key = tuple[str, str, str, int, str]


def hapi_countries(path: Path) -> dict[Key, int]:
    """HAPI's admin 0 rows, read with the csv module: (iso3, operation, BA/SA, round, date)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {
            (r["location_code"], r["operation"], r["assessment_type"], int(r["reporting_round"]),
             r["reference_period_end"][:10]): int(r["population"])
            for r in csv.DictReader(f)
            if r["admin_level"] == "0"
        }  # fmt: skip


def sitrep_countries(db: Path) -> dict[Key, int]:
    """sitrep's country totals (idp_totals, the total by the definition) by the same key."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT iso3, operation, assessment_type, round_number, CAST(as_of AS VARCHAR), "
            "figure FROM idp_totals WHERE admin_level = 0 AND is_total"
        ).fetchall()
    return {(i, o, a, r, d): f for i, o, a, r, d, f in rows}


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_country_totals_equal_hapi_built_from_the_same_dtm_data(tmp_path: Path, pair: str) -> None:
    dtm_csv, hapi_csv = PAIRS[pair]
    if not dtm_csv.exists() or not hapi_csv.exists():
        pytest.skip(f"{dtm_csv.parent.parent} is not here")
    run_source(SourceConfig(name="dtm-hdx", kind="dtm", location=[str(dtm_csv)]), str(tmp_path))
    ours = sitrep_countries(tmp_path / "warehouse.duckdb")
    theirs = hapi_countries(hapi_csv)
    assert len(theirs) > 25
    assert ours == theirs
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        hows = con.execute(
            "SELECT DISTINCT how FROM idp_totals WHERE admin_level = 0 AND is_total"
        ).fetchall()
    assert hows == [("sum_of_breakdown",)]  # every DTM row is one reason/origin cell
