"""UNHCR population statistics, legacy HDX CSVs, ODP portal and PRMN into rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.reliability.bombs import xlsx_bomb
from transforms import unhcr
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.schema import SchemaDriftError, conform
from transforms.sniff import check_workbook_size

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
POPULATION = "unhcr_population_2022_slice.csv"
PRMN = "unhcr_prmn_som_slice.xlsx"


def origin(name: str) -> Origin:
    return Origin("unhcr", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "run-1")


def parsed(name: str, raw: bytes | None = None) -> Parsed:
    raw = raw if raw is not None else (FIXTURES / name).read_bytes()
    return unhcr.parse(raw, origin(name))


def rows(name: str) -> pd.DataFrame:
    return parsed(name).tables["displacement"]


def csv_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((FIXTURES / name).read_text())))


def test_population_csv_uses_iso_columns_never_unhcr_codes() -> None:
    out = rows(POPULATION).set_index("source_record_id")
    # Chad is CHD and the Central African Republic CAR in UNHCR's own coding.
    assert set(out["iso3"]) <= {"CAF", "TCD", "CMR", "COG", "COD"}
    row = out.loc["2022|TCD|CAF|refugees"]
    assert (row["iso3"], row["figure"], row["metric"]) == ("CAF", 1314, "refugees")
    extra = json.loads(row["extra"])
    assert (extra["origin_iso3"], extra["coo"], extra["coa"]) == ("TCD", "CHD", "CAR")
    conform(out.reset_index(), "displacement")


def test_population_metrics_na_and_zero_cells() -> None:
    out = rows(POPULATION).set_index("source_record_id")
    assert out.loc["2022|CAF|CAF|idps", "metric"] == "idp_stock"
    assert out.loc["2022|CAF|CAF|idps", "cause"] == "conflict"
    assert out.loc["2022|CAF|CAF|returned_idps", "metric"] == "returnees"
    returnees = out.loc["2022|CAF|CAF|returned_idps"]
    assert (returnees["period_start"].date(), returnees["period_end"].date()) == (
        date(2022, 1, 1),
        date(2022, 12, 31),
    )
    assert out.loc["2022|TCD|CAF|refugees", "period_start"].date() == date(2022, 12, 31)
    assert (out["figure"] > 0).all()  # zero cells of UNHCR's matrix are not rows
    assert not out.index.str.endswith(("|oip", "|stateless", "|ooc", "|hst")).any()


def test_api_pages_give_the_same_rows_as_the_csv() -> None:
    pages = [rows(f"unhcr_population_api_page_{n}.json") for n in (1, 2)]
    api = pd.concat(pages).set_index("source_record_id").sort_index()
    from_csv = rows(POPULATION).set_index("source_record_id").sort_index()
    cols = ["iso3", "metric", "figure", "period_end"]
    pd.testing.assert_frame_equal(api[cols], from_csv[cols])


def test_figures_sum_to_the_source_displacement_columns() -> None:
    columns = ["refugees", "asylum_seekers", "idps", "returned_refugees", "returned_idps"]
    want = sum(int(r[c]) for r in csv_rows(POPULATION) for c in columns if r[c] != "NA")
    assert rows(POPULATION)["figure"].sum() == want


def test_legacy_csv_reads_scientific_notation_and_iso3_of_asylum() -> None:
    out = rows("unhcr_legacy_HDX_EndYearPopulationTotals_slice.csv").set_index("source_record_id")
    assert out.loc["1979|AFG|PAK|REF", "figure"] == 400000  # written 4e+05
    assert out.loc["1979|AFG|PAK|REF", "iso3"] == "PAK"
    solutions = rows("unhcr_legacy_HDX_Solutions_slice.csv")
    assert set(solutions["metric"]) == {"returnees"}
    want = sum(
        int(r["RET"]) + int(r["RDP"]) for r in csv_rows("unhcr_legacy_HDX_Solutions_slice.csv")
    )
    assert solutions["figure"].sum() == want


def test_legacy_files_without_displacement_figures_load_nothing() -> None:
    result = parsed("unhcr_legacy_HDX_AsylumApplications_slice.csv")
    assert len(result.tables["displacement"]) == 0
    assert not result.rejects.get("displacement")


def test_odp_strings_households_and_date_over_month() -> None:
    out = rows("unhcr_odp_population-collection-4-geo-id-1.json")
    (row,) = out.to_dict("records")
    assert (row["iso3"], row["metric"], row["figure"]) == ("EGY", "refugees", 148138)
    assert row["period_end"].date() == date(2022, 4, 30)  # `date`, though `month` says 7
    extra = json.loads(row["extra"])
    assert (extra["households"], extra["month"]) == (46608, "7")
    unknown = rows("unhcr_odp_population-collection-29-geo-id-1.json")
    assert unknown["metric"].tolist() == ["asylum_seekers"]
    assert "households" not in json.loads(unknown["extra"].iloc[0])  # "0" means not known
    assert unknown["unit"].tolist() == ["people"]


def test_odp_all_null_record_and_other_population_types_load_nothing() -> None:
    for name in (
        "unhcr_odp_population-collection-28-geo-id-1.json",  # no data: one all-null record
        "unhcr_odp_population-collection-28-geo-id-598.json",  # RMG: refugees and migrants
    ):
        result = parsed(name)
        assert len(result.tables["displacement"]) == 0, name
        assert not result.rejects.get("displacement"), name


def test_odp_origin_response_keeps_unhcr_origin_codes_out_of_iso3() -> None:
    out = rows("unhcr_odp_get-origin-geo-id-295-population-collection-429.json")
    assert set(out["iso3"]) == {"SDN"}
    origins = {json.loads(e)["origin_code"] for e in out["extra"]}
    assert origins == {"SSD", "SUD", "OTH"}  # SUD is UNHCR's code for Sudan
    assert out["figure"].sum() == 663396 + 451805 + 35


def test_situations_csv() -> None:
    out = rows("unhcr_odp_hdx_situations.csv")
    source = csv_rows("unhcr_odp_hdx_situations.csv")
    assert len(out) == len(source)
    assert out["figure"].sum() == sum(int(r["Individuals"]) for r in source)
    assert set(out["iso3"]) == {r["ISO3"] for r in source}
    assert "Cote d'Ivoire" in set(out["place_name"])


def test_prmn_text_dates_and_year_formula() -> None:
    sheet = openpyxl.load_workbook(FIXTURES / PRMN)["OutputsArrivals"]
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    assert str(lines[0][5]).startswith("=YEAR(")  # Year is a formula with no saved value
    out = rows(PRMN)
    first = out.set_index("source_record_id").loc["2016-04|Awdal|Borama|Drought related"]
    assert (first["period_start"].date(), first["period_end"].date()) == (
        date(2016, 4, 1),
        date(2016, 4, 30),
    )
    assert (first["admin1_name"], first["admin2_name"], first["admin_level"]) == (
        "Awdal",
        "Borama",
        2,
    )
    assert first["cause"] == "disaster"
    same = [
        n
        for m, r, d, why, n, _ in lines
        if (m, d, why) == ("30/04/2016", "Borama", "Drought related")
    ]
    assert first["figure"] == sum(same)
    assert json.loads(first["extra"])["lines"] == len(same)
    assert out["figure"].sum() == sum(line[4] for line in lines)


def test_prmn_bad_date_is_rejected() -> None:
    book = openpyxl.load_workbook(FIXTURES / PRMN)
    book["OutputsArrivals"]["A3"] = "2016-04-30"
    buffer = io.BytesIO()
    book.save(buffer)
    result = parsed("prmn.xlsx", buffer.getvalue())
    (reject,) = result.rejects["displacement"]
    assert reject.reason.startswith("prmn.xlsx row 3 field Month End: not a dd/mm/yyyy date")


def test_unknown_shapes_are_clear_errors() -> None:
    with pytest.raises(InputError, match="not a UNHCR API response"):
        unhcr.parse(b'{"results": []}', origin("x.json"))
    with pytest.raises(SchemaDriftError, match="coa_iso or ISO3CoA"):
        unhcr.parse(b"year,country,refugees\n2022,TCD,5\n", origin("x.csv"))


@pytest.mark.parametrize("field", ["year", "coa_iso", "coo_iso"])
def test_api_page_without_a_required_field_is_schema_drift_naming_it(field: str) -> None:
    body = json.loads((FIXTURES / "unhcr_population_api_page_1.json").read_text())
    body["items"] = [{k: v for k, v in item.items() if k != field} for item in body["items"]]
    with pytest.raises(SchemaDriftError, match=f"page.json.*{field}"):
        parsed("page.json", json.dumps(body).encode())


def test_workbook_inflating_past_the_limit_is_refused_unread() -> None:
    raw = (FIXTURES / PRMN).read_bytes()
    check_workbook_size(raw, PRMN)  # the real workbook is well under the limit
    with pytest.raises(InputError, match=f"{PRMN}: workbook inflates to .* over the limit of 1000"):
        check_workbook_size(raw, PRMN, limit=1000)


def test_workbook_without_prmn_columns_is_refused_from_its_header(tmp_path: Path) -> None:
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", 200_000)  # 13 MB of rows once inflated
    with pytest.raises(SchemaDriftError, match=r"bomb\.xlsx.*Month End"):
        parsed("bomb.xlsx", bomb.read_bytes())
