"""Reading and normalising large inputs in batches gives the same rows as reading them whole."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from transforms import dtm, extra, hxl_tags
from transforms.distinct import per_distinct, series_per_distinct
from transforms.lineage import Origin
from transforms.places import resolve_admin, resolve_and_count, unresolved_admin

HEADER = (
    "id,operation,admin0Pcode,admin1Name,admin1Pcode,adminLevel,numPresentIdpInd,"
    "reportingDate,assessmentType\n"
)
HXL = "#id,#operation,#country+code,#adm1+name,#adm1+code,#adm+level,#affected+idps,#date,#x\n"
ORIGIN = Origin("dtm", "/data/dtm.csv", datetime(2026, 1, 1, tzinfo=UTC), "run-1")


def dtm_csv(rows: int, bad_row: int | None = None, text: str = "Nord") -> bytes:
    """A DTM HDX CSV of `rows` admin 1 rows; `bad_row` (0-based) gets adminLevel 7."""
    lines = [HEADER, HXL]
    for n in range(rows):
        level = 7 if n == bad_row else 1
        figure = "n/a" if n % 50 == 3 else str(100 + n)
        lines.append(
            f"{n},Op,TCD,{text} {n % 9},TCD0{n % 9 + 1},{level},{figure},2024-0{n % 9 + 1}-01,BA\n"
        )
    return "".join(lines).encode()


def batches(raw: bytes, block: int = 2048) -> list[hxl_tags.HxlTable]:
    return list(hxl_tags.read_csv_batches(io.BytesIO(raw), "f.csv", block_bytes=block))


def test_blocks_give_the_rows_of_the_whole_file_with_their_file_row_numbers() -> None:
    raw = dtm_csv(500)
    parts = batches(raw)
    whole = hxl_tags.read_csv(raw, "f.csv")
    assert len(parts) > 3
    joined = pd.concat([p.frame for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole.frame)
    assert [p.first_row for p in parts] == list(np.cumsum([3] + [len(p.frame) for p in parts[:-1]]))
    assert joined.loc[3, "numPresentIdpInd"] == "n/a"  # only "" means no value


@pytest.mark.parametrize(
    "late_line",
    [
        "999,Op,TCD,RÃ©gion,TCD01,1,5,2024-01-01,BA\n",  # mojibake: repaired by the careful reader
        "999,Op,TCD\n",  # a short row: pandas fills it, Arrow refuses it
    ],
)
def test_a_late_block_arrow_cannot_take_continues_from_the_careful_reader(late_line: str) -> None:
    raw = dtm_csv(400) + late_line.encode()
    parts = batches(raw)
    careful = hxl_tags._read_careful(raw, "f.csv")
    joined = pd.concat([p.frame for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(joined, careful.frame)
    assert parts[-1].first_row + len(parts[-1].frame) == 3 + len(careful.frame)


def test_dtm_batches_equal_the_whole_file() -> None:
    raw = dtm_csv(600)
    whole = dtm.parse(raw, ORIGIN)
    assert len(list(dtm.parse_batches(io.BytesIO(raw), ORIGIN))) == 1  # one default block
    rows = pd.concat(
        [
            p.tables["displacement"]
            for p in dtm_batches(raw)
            if len(p.tables.get("displacement", ()))
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(rows, whole.tables["displacement"])
    rejects = [r for p in dtm_batches(raw) for r in p.rejects.get("displacement", [])]
    assert [r.row_no for r in rejects] == [r.row_no for r in whole.rejects["displacement"]]
    assert rejects[0].reason.startswith("dtm.csv row 6 field numPresentIdpInd: not a number (n/a)")


def dtm_batches(raw: bytes) -> list:
    source = io.BytesIO(raw)
    return [dtm.hdx_rows(t, ORIGIN) for t in hxl_tags.read_csv_batches(source, "dtm.csv", 2048)]


def test_a_bad_admin_level_in_a_late_batch_names_its_file_row() -> None:
    raw = dtm_csv(400, bad_row=350)
    with pytest.raises(hxl_tags.InputError, match=r"dtm.csv row 353 field adminLevel"):
        dtm_batches(raw)


def test_per_distinct_equals_the_function_on_every_row() -> None:
    rng = np.random.default_rng(3)
    keys = pd.DataFrame(
        {
            "a": pd.Series(rng.choice(["x", "y", None], 1000), dtype="string"),
            "b": pd.Series(rng.choice(["1", "2", None], 1000), dtype="string"),
        }
    )
    calls: list[int] = []

    def fn(frame: pd.DataFrame) -> pd.Series:
        calls.append(len(frame))
        return frame["a"].fillna("-") + frame["b"].fillna("-")

    assert per_distinct(fn, keys).tolist() == fn(keys).tolist()
    assert calls[0] <= 9


VALUES = ["plain", 'quote " and \\ backslash', "accent é", "control \x01", None]


def test_extra_json_is_what_json_dumps_writes() -> None:
    fields = pd.DataFrame(
        {
            "text": pd.Series(VALUES, dtype="string"),
            "count": pd.array([1, None, 3, 40000000000, None], dtype="Int64"),
        }
    )
    got = extra.to_json(fields)
    for value, count, out in zip(VALUES, fields["count"], got, strict=True):
        want = {k: v for k, v in {"text": value, "count": count}.items() if not pd.isna(v)}
        if want:
            assert out == json.dumps(
                {k: int(v) if k == "count" else v for k, v in want.items()}, ensure_ascii=False
            )
        else:
            assert pd.isna(out)


def test_extra_merge_adds_members_and_lets_notes_win_a_shared_key() -> None:
    current = pd.Series(['{"a": 1}', None, "{}", '{"note": "old", "b": 2}'], dtype="string")
    notes = pd.DataFrame({"note": pd.Series(["n1", "n2", None, "new"], dtype="string")})
    got = extra.merge(current, notes).tolist()
    assert got == ['{"a": 1, "note": "n1"}', '{"note": "n2"}', "{}", '{"note": "new", "b": 2}']


def test_resolve_and_count_counts_what_unresolved_admin_flags() -> None:
    frame = pd.DataFrame(
        {
            "iso3": ["TCD", "TCD", "COD", "COD"],
            "admin1_pcode": ["TD01", None, "CD61", "CD99"],
            "admin1_name": [None, "Nowhere at all", "Nord-Kivu", None],
            "admin2_pcode": [None, None, None, None],
            "admin2_name": [None, None, None, None],
        }
    )
    placed, count = resolve_and_count(frame)
    pd.testing.assert_frame_equal(placed, resolve_admin(frame))
    assert count == int(unresolved_admin(placed).sum()) == 2


def test_per_distinct_takes_unhashable_values_row_by_row() -> None:
    values = pd.Series([{"a": 1}, "7", [2], "7"], dtype=object)
    got = series_per_distinct(lambda v: pd.to_numeric(v, errors="coerce"), values)
    assert got.isna().tolist() == [True, False, True, False]
    assert got.iloc[1] == 7
