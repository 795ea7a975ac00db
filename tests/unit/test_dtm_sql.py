"""The DTM mapping in DuckDB SQL: both routes, the staged rows, and the quirks of DTM data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from transforms import dtm, dtm_sql
from transforms.lineage import Origin
from transforms.parsed import InputError, canonical
from transforms.schema import TABLES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "dtm"
API_FILES = [
    FIXTURES / "displacement-admin0-tcd-slice.json",
    FIXTURES / "dtm_api_admin1_hti_slice.json",
    FIXTURES / "displacement-admin2-hti-slice.json",
]
HDX_CSV = FIXTURES / "dtm_hdx_global_slice.csv"
# The HDX CSV's columns: the record id, then every field the mapping reads.
COLUMNS = ["id", *dtm_sql.FIELDS]
LINEAGE = ["source_url", "retrieved_at", "load_run_id"]


def origin(name: str) -> Origin:
    return Origin("dtm", f"/in/{name}", datetime(2026, 1, 1, tzinfo=UTC), "r1")


def as_hdx_csv(records: list[dict], hxl: bool = True) -> bytes:
    """API records written as the HDX global CSV writes them (adminLevel per row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    if hxl:
        writer.writerow(["#id"] + ["#x+" + c.lower() for c in COLUMNS[1:]])
    for record in records:
        level = 2 if "admin2Pcode" in record else 1 if "admin1Pcode" in record else 0
        row = dict(record, adminLevel=level)
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in COLUMNS])
    return out.getvalue().encode()


def staged(tmp_path: Path, raw: bytes, name: str) -> tuple[pd.DataFrame, list]:
    """A file through the staging route: rows (in file order) and rejects."""
    path = tmp_path / name
    path.write_bytes(raw)
    with duckdb.connect() as con:
        found = dtm.staged(str(path), origin(name), con)
        assert found is not None
        table = con.sql(f"SELECT * FROM {found.rows} ORDER BY _file_row").to_arrow_table()
        rejects = [r for frame in found.rejects for r in frame.to_dict("records")]
    rows = table.drop_columns(["_file_row"]).cast(TABLES["displacement"])
    return rows.to_pandas(), rejects


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=LINEAGE).reset_index(drop=True).astype(object).where(frame.notna())


def test_api_json_and_hdx_csv_of_the_same_records_give_the_same_rows(tmp_path: Path) -> None:
    for path in API_FILES:
        raw = path.read_bytes()
        records = json.loads(raw)["result"]
        for hxl in (True, False):
            from_csv, csv_rejects = staged(tmp_path, as_hdx_csv(records, hxl), "x.csv")
            from_api, api_rejects = staged(tmp_path, raw, "x.json")
            assert len(from_api) == len(records) > 0
            pd.testing.assert_frame_equal(comparable(from_csv), comparable(from_api))
            assert csv_rejects == api_rejects == []


@pytest.mark.parametrize("path", [HDX_CSV, *API_FILES], ids=lambda p: p.name)
def test_staged_rows_equal_the_parsed_rows_finished_in_python(tmp_path: Path, path: Path) -> None:
    """SQL's places, country names and `extra` members against `transforms.places` itself."""
    raw = path.read_bytes()
    rows, rejects = staged(tmp_path, raw, path.name)
    parsed = dtm.parse(raw, origin(path.name))
    finished = canonical(parsed, ["displacement"]).tables["displacement"].to_pandas()
    pd.testing.assert_frame_equal(comparable(rows), comparable(finished))
    assert len(rejects) == len(parsed.rejects.get("displacement", []))


def test_wrong_length_pcodes_resolve_with_the_provider_codes_in_extra(tmp_path: Path) -> None:
    rows, _ = staged(tmp_path, HDX_CSV.read_bytes(), "x.csv")
    chad = rows[(rows["iso3"] == "TCD") & (rows["admin_level"] == 2)]
    assert len(chad) and chad["admin2_pcode"].str.startswith("TCD07").all()
    assert {json.loads(e)["provider_admin1_pcode"] for e in chad["extra"]} == {"TD07"}
    assert json.loads(chad["extra"].iloc[0])["admin_match"] == "repaired_code"


@pytest.mark.skipif(not SHARED.exists(), reason="shared DTM data not present")
def test_the_shared_hdx_csv_stages_like_its_api_responses(tmp_path: Path) -> None:
    rows, rejects = staged(
        tmp_path, (SHARED / "hdx_global_dtm_admin0-2_hxl.csv").read_bytes(), "x.csv"
    )
    assert len(rows) + len(rejects) == 1990
    assert rows["source_record_id"].is_unique
    assert (rows.loc[rows["admin_level"] == 0, "place_name"].isin(["Haiti", "Chad"])).all()


def cell_rows(tmp_path: Path, **cells: str | None) -> tuple[pd.DataFrame, list]:
    """One admin 1 row of Chad with some cells replaced (None: no such field, so the row is
    of the level its deepest p-code says), staged from an HDX CSV."""
    return staged(tmp_path, cell_csv(**cells), "q.csv")


def cell_csv(**cells: str | None) -> bytes:
    """The HDX CSV of `cell_rows`' row."""
    record = {
        "operation": "Lake Chad",
        "admin0Name": "Chad",
        "admin0Pcode": "TCD",
        "admin1Name": "Lac",
        "admin1Pcode": "TD07",
        "numPresentIdpInd": "100",
        "reportingDate": "2024-01-31T00:00:00",
        "roundNumber": "5",
        "displacementReason": "Conflict",
        "assessmentType": "BA",
    }
    record.update(cells)
    return as_hdx_csv([{k: v for k, v in record.items() if v is not None}])


@pytest.mark.parametrize(
    ("figure", "kept"),
    [
        ("100", 100),
        ("1e3", 1000),
        ("5.0", 5),
        ("+7", 7),
        ("5.5", None),
        ("-1", None),
        ("1_000", None),
        ("1,000", None),
        ("nan", None),
        ("inf", None),
        ("9007199254740993", None),
        ("", None),
    ],
)
def test_figures_are_read_as_pandas_reads_numbers(tmp_path: Path, figure: str, kept) -> None:
    rows, rejects = cell_rows(tmp_path, numPresentIdpInd=figure)
    if kept is None:
        assert rows.empty and len(rejects) == 1
        assert "q.csv row 3 field numPresentIdpInd" in rejects[0]["reason"]
        assert pd.isna(pd.to_numeric(pd.Series([figure or None]), errors="coerce")).iloc[0] or (
            float(figure) < 0 or float(figure) % 1 or abs(float(figure)) >= 2**53
        )
    else:
        assert list(rows["figure"]) == [kept]


@pytest.mark.parametrize(
    "date",
    ["2024-01-31", "2024-01-31T00:00:00", "2024-01-31 06:00:00", "2024-01-31T00:00:00.000Z",
     "2024/01/31", "20240131", "2024-1-31", "2024-13-01", "2024-02-30", "1899-12-31", "soon",
     "2024-01", "2024"],
)  # fmt: skip
def test_dates_are_read_as_pandas_reads_iso_dates(tmp_path: Path, date: str) -> None:
    rows, rejects = cell_rows(tmp_path, reportingDate=date)
    want = pd.to_datetime(pd.Series([date]), errors="coerce", format="ISO8601")
    want = want.where(want.dt.year.between(1900, 2100)).dt.date.iloc[0]
    if pd.isna(want):
        assert rows.empty and "field reportingDate: not a date" in rejects[0]["reason"]
    else:
        assert list(rows["period_end"]) == [want]


def test_extra_text_is_what_json_dumps_writes(tmp_path: Path) -> None:
    odd = 'Lake "Chad" \\ é \x01\x1f\ttab'
    rows, _ = cell_rows(tmp_path, operation=odd, idpOriginAdmin1Name="Not available")
    assert (
        rows["extra"]
        .iloc[0]
        .startswith(
            "{" + json.dumps("operation") + ": " + json.dumps(odd, ensure_ascii=False) + ", "
        )
    )
    assert "idpOriginAdmin1Name" not in json.loads(rows["extra"].iloc[0])


@pytest.mark.parametrize(
    "text",
    [
        *(f"a{chr(n)}b" for n in range(1, 32)),
        "".join(chr(n) for n in range(1, 32)),
        "\\u001B and \\u00e9 as written",
        "\x1b beside \\u001B as written",
        "\\u00",
        "plain",
    ],
)
def test_json_text_is_what_json_dumps_writes_for_control_characters(text: str) -> None:
    with duckdb.connect() as con:
        dtm_sql.define_macros(con)
        [(got,)] = con.execute("SELECT dtm_json($text)", {"text": text}).fetchall()
    assert got == json.dumps(text, ensure_ascii=False)


def test_cells_are_trimmed_and_blank_is_missing(tmp_path: Path) -> None:
    rows, _ = cell_rows(tmp_path, admin1Pcode="\u00a0TD07 ", roundNumber=" ", numberMales="")
    assert list(rows["admin1_pcode"]) == ["TCD07"]
    assert rows["round_number"].isna().all()
    assert "numberMales" not in json.loads(rows["extra"].iloc[0])


def test_a_country_name_different_from_the_gazetteer_is_kept_in_extra(tmp_path: Path) -> None:
    rows, _ = cell_rows(tmp_path, admin0Name="Tchad", admin1Pcode=None, admin1Name=None)
    assert list(rows["place_name"]) == ["Chad"]
    assert json.loads(rows["extra"].iloc[0])["provider_place_name"] == "Tchad"


def test_a_bad_admin_level_in_the_staged_route_names_its_row(tmp_path: Path) -> None:
    records = [dict(json.loads(API_FILES[0].read_bytes())["result"][0]) for _ in range(3)]
    raw = as_hdx_csv(records).replace(b"\nLake", b"\nLake", 1)
    lines = raw.decode().splitlines(keepends=True)
    lines[3] = lines[3].replace(",0,", ",3,", 1)
    path = tmp_path / "lvl.csv"
    path.write_text("".join(lines))
    with (
        duckdb.connect() as con,
        pytest.raises(InputError, match=r"lvl.csv row 4 field adminLevel"),
    ):
        dtm.staged(str(path), origin("lvl.csv"), con)


def test_mojibake_is_left_to_the_careful_reader_in_batches(tmp_path: Path) -> None:
    """A file DuckDB cannot take as it is goes to `parse_batches` (bounded memory), which
    repairs it into the rows of the clean file."""
    clean, _ = cell_rows(tmp_path, admin1Name="Région")
    path = tmp_path / "q.csv"
    path.write_bytes(cell_csv(admin1Name="RÃ©gion"))
    with duckdb.connect() as con:
        assert dtm.staged(str(path), origin("q.csv"), con) is None
    with path.open("rb") as source:
        parsed = list(dtm.parse_batches(source, origin("q.csv")))
    rows = pd.concat(
        [canonical(p, ["displacement"]).tables["displacement"].to_pandas() for p in parsed]
    )
    pd.testing.assert_frame_equal(comparable(rows), comparable(clean))


def test_rejected_rows_keep_their_record_and_row(tmp_path: Path) -> None:
    records = json.loads(API_FILES[0].read_bytes())["result"][:4]
    records[2] = dict(records[2], numPresentIdpInd="many")
    _, from_csv = staged(tmp_path, as_hdx_csv(records), "r.csv")
    _, from_api = staged(tmp_path, json.dumps({"result": records}).encode(), "r.json")
    assert [r["row_no"] for r in from_csv] == [5] and [r["row_no"] for r in from_api] == [3]
    assert json.loads(from_csv[0]["record"])["numPresentIdpInd"] == "many"
    assert json.loads(from_api[0]["record"])["admin0Pcode"] == records[2]["admin0Pcode"]
    assert from_csv[0]["reason"] == "r.csv row 5 field numPresentIdpInd: not a number (many)"


def test_an_empty_api_result_stages_no_rows(tmp_path: Path) -> None:
    rows, rejects = staged(tmp_path, b'{"result": [], "isSuccess": true}', "e.json")
    assert rows.empty and rejects == []


def test_a_workbook_is_left_to_the_python_route(tmp_path: Path) -> None:
    path = FIXTURES / "dtm_car_baseline_assessment_round_14_slice.xlsx"
    with duckdb.connect() as con:
        assert dtm.staged(str(path), origin(path.name), con) is None


def test_arrow_types_of_staged_rows_fit_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(HDX_CSV.read_bytes())
    with duckdb.connect() as con:
        found = dtm.staged(str(path), origin("t.csv"), con)
        assert found is not None
        table = con.sql(f"SELECT * EXCLUDE (_file_row) FROM {found.rows}").to_arrow_table()
    assert table.cast(TABLES["displacement"]).num_rows == found.placed
    retrieved = table.column("retrieved_at").cast(pa.timestamp("us", tz="UTC"))
    assert set(retrieved.to_pylist()) == {datetime(2026, 1, 1, tzinfo=UTC)}
