"""Generic HXL CSVs: the tag helper, and figures found by tag into displacement rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from transforms import hxl
from transforms.hxl_tags import Tag, is_hxl_row, read_csv
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.schema import conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SITES = FIXTURES / "dtm_ethiopia_sites_slice_hxl.csv"
COUNTRY_YEAR = FIXTURES / "idmc_idps_country_year_slice_hxl.csv"
DTM_CSV = FIXTURES / "dtm_hdx_global_slice.csv"
NGA = FIXTURES / "dtm_nigeria_baseline_assessment_round_38_slice.xlsx"


def parse(raw: bytes, name: str = "f.csv") -> Parsed:
    return hxl.parse(raw, Origin("hxl", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "r1"))


def rows(raw: bytes, name: str = "f.csv") -> pd.DataFrame:
    return parse(raw, name).tables["displacement"]


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def as_csv(cells: list[list[object]], bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(cells)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def column_sum(path: Path, tag: str) -> int:
    cells = table(path)
    col = cells[1].index(tag)
    return sum(int(float(r[col])) for r in cells[2:] if r[col].strip())


def test_tags_parse_into_hashtag_and_attributes() -> None:
    tag = Tag.parse(" #Affected+IDPs+ind ")
    assert (tag.hashtag, tag.attributes) == ("#affected", frozenset({"idps", "ind"}))
    assert tag.has("#affected", ["idps"], ["hh"]) and not tag.has("#affected", ["hh"])
    assert tag.text == "#affected+idps+ind"


def test_hxl_rows_are_told_from_data_rows() -> None:
    assert is_hxl_row(["#country+code", "", None, "#affected+idps"])
    assert not is_hxl_row(["TCD", "#not-all"])
    assert not is_hxl_row(["", None])


def test_read_csv_drops_bom_and_hxl_row_and_maps_tags() -> None:
    got = read_csv(b"\xef\xbb\xbf" + DTM_CSV.read_bytes(), "x.csv")
    assert got.frame.columns[0] == "id" and got.first_row == 3
    assert got.column("#affected", ["idps"], ["m", "f"]) == "numPresentIdpInd"
    assert got.column("#adm1", ["code"], ["origin"]) == "admin1Pcode"
    assert len(got.frame) == len(table(DTM_CSV)) - 2


def test_read_csv_without_hxl_row_has_no_tags() -> None:
    cells = table(DTM_CSV)
    got = read_csv(as_csv([cells[0], *cells[2:]]), "x.csv")
    assert got.tags == {} and got.first_row == 2 and len(got.frame) == len(cells) - 2


def test_a_csv_whose_second_row_is_not_hxl_is_a_clear_input_error() -> None:
    cells = table(DTM_CSV)
    with pytest.raises(InputError, match=r"x\.csv: the second row is not HXL hashtags"):
        parse(as_csv([cells[0], *cells[2:]]), "x.csv")


def test_households_and_people_become_separate_rows_with_their_unit() -> None:
    out = rows(SITES.read_bytes())
    data_rows = len(table(SITES)) - 2
    assert len(out) == 2 * data_rows
    hh, people = out[out["unit"] == "households"], out[out["unit"] == "people"]
    assert hh["figure"].sum() == column_sum(SITES, "#affected+idps+hh")
    assert people["figure"].sum() == column_sum(SITES, "#affected+idps+ind")
    assert set(out["admin_level"]) == {3} and out["source_record_id"].is_unique
    assert str(out["period_end"].iloc[0]) == "2022-01-31"  # #date+reported beats +occurred
    conform(out, "displacement")


def test_country_year_figures_get_metric_and_cause_from_tags() -> None:
    out = rows(COUNTRY_YEAR.read_bytes())
    kinds = {(r.metric, r.cause) for r in out.itertuples()}
    assert kinds <= {
        ("idp_stock", "conflict"),
        ("new_displacement", "conflict"),
        ("new_displacement", "disaster"),
        ("idp_stock", "disaster"),
    }
    assert ("new_displacement", "disaster") in kinds
    first = out.iloc[0]
    assert (str(first["period_start"]), str(first["period_end"])) == ("2014-01-01", "2014-12-31")
    tags = table(COUNTRY_YEAR)[1][3:]
    assert out["figure"].sum() == sum(column_sum(COUNTRY_YEAR, t) for t in tags)


def test_blank_cells_give_no_row() -> None:
    cells = table(COUNTRY_YEAR)
    filled = sum(1 for r in cells[2:] for v in r[3:] if v.strip())
    assert len(rows(COUNTRY_YEAR.read_bytes())) == filled < 4 * (len(cells) - 2)


def test_sex_breakdowns_and_origin_columns_are_not_figures_or_places() -> None:
    out = rows(DTM_CSV.read_bytes())
    assert len(out) == len(table(DTM_CSV)) - 2  # +m and +f columns add no rows
    assert out["figure"].sum() == column_sum(DTM_CSV, "#affected+idps")
    admin0 = out[out["admin_level"] == 0]
    assert admin0["admin1_pcode"].isna().all()  # #adm1+code+origin is not the place
    assert set(json.loads(out["extra"].iloc[0])) == {"hxl_column", "hxl_tag"}


def test_cause_breakdowns_are_dropped_when_the_total_is_there() -> None:
    sheet = openpyxl.load_workbook(NGA, read_only=True).worksheets[0]
    cells = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    out = rows(as_csv(cells), "nga.csv")
    tags = {json.loads(e)["hxl_tag"] for e in out["extra"]}
    assert tags == {"#affected+hh+idps", "#affected+idps+ind"}
    assert set(out["cause"]) == {"unknown"}


def test_crossed_code_and_name_tags_are_put_right() -> None:
    sheet = openpyxl.load_workbook(NGA, read_only=True).worksheets[0]
    cells = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    out = rows(as_csv(cells), "nga.csv")
    assert out["admin2_pcode"].str.fullmatch(r"NG\d{6}").all()
    assert out["admin2_name"].iloc[0] == "DEMSA"


def test_bad_cells_are_rejected_naming_file_row_and_column() -> None:
    cells = table(SITES)
    cells[3][cells[1].index("#affected+idps+ind")] = "n/k"
    cells[4][cells[1].index("#country+code")] = "XYZ"
    cells[4][cells[1].index("#country+name")] = "Atlantis"
    parsed = parse(as_csv(cells, bom=True), "sites.csv")
    reasons = [r.reason for r in parsed.rejects["displacement"]]
    ind = "2.1.b.1: Total IDP (Individuals)"
    assert f"sites.csv row 4 field {ind}: not a number (n/k)" in reasons
    assert "sites.csv row 5 field country: unknown country (XYZ)" in reasons
    assert parsed.rows_in("displacement") == 2 * (len(cells) - 2)
    loaded = parsed.tables["displacement"]["figure"].sum()
    good = column_sum(SITES, "#affected+idps+hh") + column_sum(SITES, "#affected+idps+ind")
    original = table(SITES)
    figure = {t: cells[1].index(t) for t in ("#affected+idps+hh", "#affected+idps+ind")}
    bad = int(original[3][figure["#affected+idps+ind"]])
    bad += sum(int(original[4][col]) for col in figure.values())
    assert loaded == good - bad


def test_missing_country_date_or_figure_columns_are_input_errors() -> None:
    header = ["Country", "IDPs", "Date"]
    with pytest.raises(InputError, match="no #country"):
        parse(as_csv([header, ["", "#affected+idps", "#date"], ["", "5", "2024-01-01"]]))
    with pytest.raises(InputError, match="no #date"):
        parse(as_csv([header, ["#country+code", "#affected+idps", ""], ["TCD", "5", ""]]))
    with pytest.raises(InputError, match="no figure column"):
        parse(as_csv([header, ["#country+code", "#meta", "#date"], ["TCD", "5", "2024-01-01"]]))


def test_dd_mm_yyyy_dates_and_an_empty_file() -> None:
    cells = [
        ["c", "n", "d"],
        ["#country+name", "#affected+refugees", "#date"],
        ["Chad", "7", "31/03/2024"],
    ]
    out = rows(as_csv(cells))
    assert (out["iso3"].iloc[0], out["metric"].iloc[0], str(out["period_end"].iloc[0])) == (
        "TCD",
        "refugees",
        "2024-03-31",
    )
    assert parse(as_csv(cells[:2])).rows_in("displacement") == 0


def test_windows_1252_and_mojibake_text_is_read_right() -> None:
    cells = [["c", "n", "d", "a"], ["#country+code", "#affected+idps", "#date", "#adm1+name"]]
    cp1252 = as_csv([*cells, ["TCD", "5", "2024-01-01", "Lac – Bol’s région"]])
    out = rows(cp1252.decode().encode("cp1252"))
    assert out["admin1_name"].iloc[0] == "Lac – Bol’s région"
    twice = "Lac région".encode().decode("latin-1")  # UTF-8 once read as Latin-1 upstream
    assert rows(as_csv([*cells, ["TCD", "5", "2024-01-01", twice]]))["admin1_name"].iloc[0] == (
        "Lac région"
    )


def test_placeholder_years_are_no_date() -> None:
    cells = [["c", "n", "y"], ["#country+code", "#affected+idps", "#date+year"]]
    parsed = parse(as_csv([*cells, ["TCD", "5", "0000-00-00"], ["TCD", "6", "2015"]]))
    assert [r.reason for r in parsed.rejects["displacement"]] == [
        "f.csv row 3 field date: not a date (0000-00-00)"
    ]
    assert len(parsed.tables["displacement"]) == 1
