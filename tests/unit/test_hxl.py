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
    with pytest.raises(InputError, match=r"x\.csv: no HXL hashtag row .* in the first 25 rows"):
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


LIBHXL = FIXTURES / "libhxl"


def facts(out: pd.DataFrame) -> list[tuple]:
    """What a file says, whatever its layout: country, metric, cause, figure and period."""
    cols = ["iso3", "metric", "cause", "figure", "unit", "period_start", "period_end"]
    return sorted(out[cols].astype(str).itertuples(index=False, name=None))


def variant(change: object) -> bytes:
    """The IDMC country-year HXL slice with its rows changed by `change(rows) -> rows`."""
    return as_csv(change(table(COUNTRY_YEAR)))  # type: ignore[operator]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda t: [["IDMC GIDD country-year"], ["as of 2019"], *t], id="titles"),
        pytest.param(lambda t: t[1:], id="no-text-header"),
        pytest.param(lambda t: [[*t[0], "Note"], [*t[1], ""], *[[*r, "n"] for r in t[2:]]],
                     id="untagged-column"),
        pytest.param(lambda t: [t[0], [*t[1][:5], "affected+idps", "#affected+idps+stock+disaster"],
                                *t[2:]], id="fuzzy-row"),
        pytest.param(lambda t: [t[0], t[1], *[[*r, "x", "y"] for r in t[2:]]],
                     id="wider-data-rows"),
    ],
)  # fmt: skip
def test_hashtag_row_anywhere_in_the_first_25_rows_as_the_standard_allows(change) -> None:
    plain = rows(COUNTRY_YEAR.read_bytes())
    got = rows(variant(change))
    if "affected+idps" in change(table(COUNTRY_YEAR))[1]:  # a tag without `#`: column ignored
        ignored = "Disaster New Displacements"
        assert len(got) and not got["source_record_id"].str.contains(ignored).any()
        plain = plain[~plain["source_record_id"].str.contains(ignored)]
    assert facts(got) == facts(plain)


def test_the_hashtag_row_after_25_rows_is_not_looked_for() -> None:
    titles = [[f"title {n}", *[""] * 6] for n in range(23)]
    assert len(rows(as_csv([*titles, *table(COUNTRY_YEAR)]))) > 0  # tags on row 25: found
    with pytest.raises(InputError, match="in the first 25 rows"):
        parse(as_csv([*titles, ["one more", *[""] * 6], *table(COUNTRY_YEAR)]))


def test_titles_above_the_header_are_kept_with_the_table() -> None:
    got = read_csv(variant(lambda t: [["IDMC GIDD"], *t]), "f.csv")
    assert got.titles == (("IDMC GIDD",),)
    assert got.first_row == 4 and list(got.frame.columns)[:2] == ["ISO3", "Name"]


@pytest.mark.parametrize("keep", [0, 1], ids=["codes", "names"])
def test_plain_country_tag_is_a_code_or_a_name_by_its_values(keep: int) -> None:
    def plain(t: list[list[str]]) -> list[list[str]]:
        drop = 1 - keep
        cut = [[c for i, c in enumerate(r) if i != drop] for r in t]
        cut[1][0] = "#country"
        return cut

    out = rows(variant(plain))
    assert facts(out) == facts(rows(COUNTRY_YEAR.read_bytes()))
    assert set(out["iso3"]) >= {"AB9", "AFG"} if keep == 0 else True


def test_two_files_reporting_the_same_place_date_and_column_keep_distinct_ids() -> None:
    one = set(rows(COUNTRY_YEAR.read_bytes(), "a.csv")["source_record_id"])
    other = set(rows(COUNTRY_YEAR.read_bytes(), "b.csv")["source_record_id"])
    assert one and not one & other


def test_a_rows_id_does_not_depend_on_its_place_in_the_file() -> None:
    cells = table(SITES)
    backwards = as_csv([cells[0], cells[1], *cells[2:][::-1]])
    assert set(rows(backwards)["source_record_id"]) == set(
        rows(SITES.read_bytes())["source_record_id"]
    )


@pytest.mark.parametrize(
    ("name", "tag_line", "tags"),
    [
        ("parser-input-valid.csv", 3, 8),  # tags on row 3, a 9th column with no text header
        ("parser-input-fuzzy.csv", 3, 5),  # `country` and `adm1` lack `#`: 5 of 7 are tags
        ("io-input-multiple-headers.csv", 3, 3),  # junk row, header, tags with a blank cell
        ("filters-input-date.csv", 2, 8),
        ("sample-data-sample.csv", 3, 9),
        ("io-input-multiline.csv", 1, 1),  # tags on row 1, no text header
    ],
)
def test_libhxl_test_files_find_their_hashtag_row(name: str, tag_line: int, tags: int) -> None:
    got = read_csv((LIBHXL / name).read_bytes(), name)
    assert (got.first_row, len(got.tags)) == (tag_line + 1, tags)
    assert len(got.frame) == len(table(LIBHXL / name)) - tag_line


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("parser-input-invalid.csv", "not a readable CSV"),  # no `#` at all: no hashtag row
        ("io-input-untagged.csv", "no HXL hashtag row"),
        ("parser-input-valid.csv", "no figure column"),  # #targeted_num: not displacement
        ("io-input-multiple-headers.csv", "no figure column"),  # plain #affected: of what?
    ],
)
def test_libhxl_test_files_the_hxl_kind_still_refuses_say_why(name: str, why: str) -> None:
    with pytest.raises(InputError, match=why):
        parse((LIBHXL / name).read_bytes(), name)
