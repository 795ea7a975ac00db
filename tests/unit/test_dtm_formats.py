"""DTM in every format: API JSON, HDX global CSV and assessment workbooks, told apart by content."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from transforms import dtm
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.places import resolve_admin, unresolved_admin
from transforms.schema import conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HDX_CSV = FIXTURES / "dtm_hdx_global_slice.csv"
CAF = FIXTURES / "dtm_car_baseline_assessment_round_14_slice.xlsx"
ETH = FIXTURES / "dtm_ethiopia_site_assessment_round_28_slice.xlsx"
NGA = FIXTURES / "dtm_nigeria_baseline_assessment_round_38_slice.xlsx"


def parse(raw: bytes, name: str) -> Parsed:
    return dtm.parse(raw, Origin("dtm", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "r1"))


def rows(raw: bytes, name: str = "x") -> pd.DataFrame:
    return parse(raw, name).tables["displacement"]


def csv_records(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return list(csv.DictReader([lines[0], *lines[2:]]))


def sheet_column(path: Path, tag: str) -> list[object]:
    """The values under an HXL tag of a workbook's first sheet, read independently."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    col = list(table[1]).index(tag)
    return [r[col] for r in table[2:] if r[col] is not None]


@pytest.mark.parametrize(
    ("path", "misleading_name"),
    [
        (HDX_CSV, "data.json"),
        (CAF, "baseline-round-14.csv"),  # the name still says which assessment
        (FIXTURES / "displacement-admin0-tcd-slice.json", "data.xlsx"),
    ],
)
def test_the_format_is_told_by_content_not_by_file_name(path: Path, misleading_name: str) -> None:
    # HXL-tagged workbooks carry the file's name in their record ids (two files, two records).
    lineage = ["source_url", "source_record_id"]
    renamed = rows(path.read_bytes(), misleading_name).drop(columns=lineage)
    assert renamed.equals(rows(path.read_bytes(), path.name).drop(columns=lineage))


def test_hdx_csv_rows_take_their_level_from_admin_level() -> None:
    out = rows(HDX_CSV.read_bytes())
    source = csv_records(HDX_CSV)
    assert list(out["admin_level"]) == [int(r["adminLevel"]) for r in source]
    level2 = out[out["admin_level"] == 2].iloc[0]
    assert level2["place_name"] == level2["admin2_name"]
    assert out[out["admin_level"] == 0]["admin1_pcode"].isna().all()
    conform(out, "displacement")


def test_hdx_csv_numbers_as_strings_sum_to_the_source() -> None:
    out = rows(HDX_CSV.read_bytes())
    assert out["figure"].sum() == sum(int(r["numPresentIdpInd"]) for r in csv_records(HDX_CSV))
    assert (out["unit"] == "people").all()


def test_hdx_csv_reads_the_same_without_its_hxl_row() -> None:
    lines = HDX_CSV.read_text().splitlines(keepends=True)
    without = "".join([lines[0], *lines[2:]]).encode()
    a, b = rows(HDX_CSV.read_bytes()), rows(without)
    assert list(a["source_record_id"]) == list(b["source_record_id"])
    assert list(a["figure"]) == list(b["figure"])


def test_ba_and_sa_twins_are_both_kept_with_distinct_ids() -> None:
    out = rows(HDX_CSV.read_bytes())
    first_two = out.iloc[:2]
    assert list(first_two["assessment_type"]) == ["BA", "SA"]
    assert first_two["figure"].nunique() == 1
    assert out["source_record_id"].is_unique


def test_admin0_rows_per_origin_region_get_distinct_ids() -> None:
    out = rows(HDX_CSV.read_bytes())
    admin0 = out[out["admin_level"] == 0]
    origins = [json.loads(e).get("idpOriginAdmin1Pcode") for e in admin0["extra"]]
    assert "TD07" in origins and None in origins
    assert admin0["source_record_id"].is_unique


def test_not_available_origin_and_null_sex_counts_stay_out_of_extra() -> None:
    out = rows(HDX_CSV.read_bytes())
    extras = [json.loads(e) for e in out["extra"]]
    assert all("Not available" not in e.values() for e in extras)
    assert not any("numberMales" in e for e in extras[:6])  # the CSV leaves them empty
    with_counts = [e for e in extras if "numberMales" in e]
    assert with_counts and all(isinstance(e["numberMales"], int) for e in with_counts)


def test_an_unknown_admin_level_names_file_row_and_field() -> None:
    raw = with_cell(HDX_CSV, 1, "adminLevel", "7")
    with pytest.raises(InputError, match=r"x.csv row 4 field adminLevel: not 0, 1 or 2 \(7\)"):
        parse(raw, "x.csv")


def with_cell(path: Path, row: int, column: str, value: str) -> bytes:
    """The CSV with one data cell (0-based data row under header and HXL row) replaced."""
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    table[row + 2][table[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue().encode()


def test_hdx_csv_bad_figures_are_rejected_at_their_file_row() -> None:
    parsed = parse(with_cell(HDX_CSV, 2, "numPresentIdpInd", "lots"), "x.csv")
    [reject] = parsed.rejects["displacement"]
    assert reject.row_no == 5
    assert reject.reason == "x.csv row 5 field numPresentIdpInd: not a number (lots)"
    assert parsed.rows_in("displacement") == len(csv_records(HDX_CSV))


def test_tcd_wrong_length_pcodes_resolve_after_repair() -> None:
    out = resolve_admin(rows(HDX_CSV.read_bytes()))
    chad = out[(out["iso3"] == "TCD") & (out["admin_level"] == 2)]
    assert chad["admin2_pcode"].str.startswith("TCD07").all()
    assert {json.loads(e)["provider_admin1_pcode"] for e in chad["extra"]} == {"TD07"}
    assert not unresolved_admin(out).any()


@pytest.mark.parametrize("path", [CAF, ETH, NGA], ids=["french", "english", "crossed-tags"])
def test_workbook_households_and_people_are_separate_rows(path: Path) -> None:
    out = rows(path.read_bytes(), path.name)
    hh = out[out["unit"] == "households"]
    people = out[out["unit"] == "people"]
    assert hh["figure"].sum() == sum(int(v) for v in sheet_column(path, "#affected+idps+hh"))
    assert people["figure"].sum() == sum(int(v) for v in sheet_column(path, "#affected+idps+ind"))
    assert len(hh) == len(people) > 0
    assert (people["figure"].to_numpy() >= hh["figure"].to_numpy()).all()  # not multiplied
    assert out["source_record_id"].is_unique
    assert (out["admin_level"] == 3).all() and (out["metric"] == "idp_stock").all()
    conform(out, "displacement")


def test_workbook_rows_without_figures_give_no_rows() -> None:
    blank = sum(1 for v in sheet_column(CAF, "#adm3+code")) - len(
        sheet_column(CAF, "#affected+idps+ind")
    )
    assert blank > 0  # the CAR sheet lists communes with no figure yet
    assert len(rows(CAF.read_bytes(), CAF.name)) == 2 * len(sheet_column(CAF, "#affected+idps+ind"))


def test_workbook_assessment_type_comes_from_its_names() -> None:
    assert set(rows(CAF.read_bytes(), CAF.name)["assessment_type"]) == {"BA"}
    assert set(rows(ETH.read_bytes(), ETH.name)["assessment_type"]) == {"SA"}


def test_workbook_dates_and_round() -> None:
    nga = rows(NGA.read_bytes(), NGA.name).iloc[0]
    assert str(nga["period_end"]) == "2021-07-30" and nga["round_number"] == 38
    eth = rows(ETH.read_bytes(), ETH.name).iloc[0]
    assert str(eth["period_end"]) == "2022-01-31"  # the reported date, not the survey date


def test_workbook_places_resolve_including_crossed_tags_and_iso3_prefixes() -> None:
    nga = resolve_admin(rows(NGA.read_bytes(), NGA.name))
    assert nga["admin2_pcode"].str.fullmatch(r"NG\d{6}").all()  # LGA p-codes, not LGA names
    caf = resolve_admin(rows(CAF.read_bytes(), CAF.name))
    assert caf["admin1_pcode"].iloc[0] == "CF62"  # the sheet writes CAF62
    for out in (nga, caf, resolve_admin(rows(ETH.read_bytes(), ETH.name))):
        assert not unresolved_admin(out).any()


def test_a_workbook_with_no_tagged_sheet_is_an_input_error() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Country", "IDPs"])
    book.active.append(["Chad", 5])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InputError, match=r"x\.xlsx: no sheet with an HXL row"):
        parse(buffer.getvalue(), "x.xlsx")


def test_legacy_xls_and_empty_files_are_input_errors() -> None:
    with pytest.raises(InputError, match=r"legacy \.xls"):
        parse(b"\xd0\xcf\x11\xe0" + b"\x00" * 60, "old.xls")
    with pytest.raises(InputError, match="empty file"):
        parse(b"  \n", "empty.csv")
