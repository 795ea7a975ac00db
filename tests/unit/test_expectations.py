"""Expectation suites: our row masks agree with what Great Expectations reports."""

from __future__ import annotations

import pandas as pd
import pytest

from expectations.runner import failing_rows, load_suite, validate


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["dtm"] * 5,
            "source_record_id": ["a", "b", "c", "c", None],
            "iso3": ["TCD", "tcd", None, "HTI", "AB9"],
            "admin_level": [0, 1, 2, 7, 1],
            "figure": [10, -1, 5, 150_000_001, None],
            "metric": ["idp_stock"] * 4 + ["stock"],
            "cause": ["conflict"] * 5,
            "unit": ["people", "people", "persons", "households", "people"],
            "qualifier": ["exact"] * 5,
            "period_end": pd.to_datetime(["2024-01-31"] * 4 + [None]),
        }
    )


def test_reasons_name_the_first_failed_expectation_per_row() -> None:
    result = validate(frame(), "displacement")
    reasons = result.reasons
    assert pd.isna(reasons[0])
    assert reasons[1].startswith("iso3 match_regex")
    assert reasons[2].startswith("iso3 not_be_null")
    assert reasons[3].startswith("admin_level be_in_set")
    assert reasons[4].startswith("source_record_id not_be_null")
    assert "got null" in reasons[4]


def test_mask_counts_equal_gx_unexpected_counts() -> None:
    df = frame()
    result = validate(df, "displacement")
    by_key = {(r.expectation, r.column): r for r in result.results}
    suite = load_suite("displacement")
    assert len(result.results) == len(suite["expectations"])
    for exp in suite["expectations"]:
        kw = exp["kwargs"]
        column = kw.get("column") or ",".join(kw["column_list"])
        gx = by_key[(exp["type"], column)]
        mine = int(failing_rows(df, exp["type"], kw).sum())
        if exp["type"] == "expect_compound_columns_to_be_unique":
            # GX counts every member of a duplicate group; we quarantine all but the first.
            assert gx.unexpected_count == 2 and mine == 1
        else:
            assert gx.unexpected_count == mine, exp
        assert gx.success == (gx.unexpected_count == 0)


def test_empty_frame_passes_without_running_gx() -> None:
    result = validate(frame().iloc[0:0], "displacement")
    assert all(r.success for r in result.results)
    assert result.reasons.empty


def test_unknown_expectation_types_are_refused() -> None:
    with pytest.raises(ValueError, match="no row mask"):
        failing_rows(frame(), "expect_table_row_count_to_equal", {"value": 1})
