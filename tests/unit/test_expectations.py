"""Expectation suites: the SQL pass counts what Great Expectations counts, and picks the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from suites import validate, validate_file

from expectations import pushdown, runner
from expectations.runner import GX_SAMPLE_ROWS, EngineMismatchError, load_suite, run_gx


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


def every(n: int, k: int, size: int) -> np.ndarray:
    """Positions k, k+n, k+2n, ... below size."""
    return np.arange(size) % n == k


def displacement_rows(size: int = GX_SAMPLE_ROWS + 4000) -> pd.DataFrame:
    """More rows than GX samples, with known failures of every expectation type in the suite."""
    ids = pd.Series([f"r{i}" for i in range(size)], dtype="object")
    ids[every(1000, 1, size)] = None
    dup = np.flatnonzero(every(2000, 7, size))
    ids[dup] = ids[dup - 1].to_numpy()
    iso3 = pd.Series(np.where(every(700, 3, size), "tcd", "TCD"), dtype="object")
    iso3[every(900, 5, size)] = None
    figure = pd.Series(np.where(every(1300, 9, size), -5, 100), dtype="float64")
    figure[every(1100, 2, size)] = np.nan
    return pd.DataFrame(
        {
            "source": "dtm",
            "source_record_id": ids,
            "iso3": iso3,
            "admin_level": np.where(every(800, 4, size), 7, 2).astype("int8"),
            "figure": figure,
            "metric": np.where(every(1500, 11, size), "stock", "idp_stock"),
            "cause": "conflict",
            "unit": "people",
            "qualifier": "exact",
            "period_end": pd.to_datetime(np.where(every(1700, 8, size), None, "2024-01-31")),
        }
    )


def article_rows(size: int = GX_SAMPLE_ROWS + 4000) -> pd.DataFrame:
    """Articles where every id appears twice: more failing rows than the sample can hold."""
    summary = np.where(every(600, 1, size), "too short", "a summary long enough to pass")
    url = pd.Series([f"https://x.org/{i}" for i in range(size)], dtype="object")
    url[every(500, 2, size)] = None
    return pd.DataFrame(
        {
            "article_id": [f"a{i // 2}" if i % 999 else None for i in range(size)],
            "content_hash": "h",
            "summary": summary,
            "url": url,
        }
    )


def counts(results: list[runner.ExpectationResult]) -> dict[tuple[str, str], int]:
    return {(r.expectation, r.column): r.unexpected_count for r in results}


def test_reasons_name_the_first_failed_expectation_per_row() -> None:
    result = validate(frame(), "displacement")
    reasons = result.reasons
    assert pd.isna(reasons[0])
    assert reasons[1].startswith("iso3 match_regex")
    assert reasons[2].startswith("iso3 not_be_null")
    assert reasons[3].startswith("admin_level be_in_set")
    assert reasons[4].startswith("source_record_id not_be_null")
    assert "got null" in reasons[4]


@pytest.mark.parametrize(
    ("table", "make"), [("displacement", displacement_rows), ("articles", article_rows)]
)
def test_counts_equal_gx_on_the_whole_frame(table: str, make: object) -> None:
    df = make()  # type: ignore[operator]
    suite = load_suite(table)
    whole = counts(run_gx(df, suite))
    result = validate(df, table)
    gx_types = [r for r in result.results if r.expectation.startswith("expect_")]
    assert counts(gx_types) == whole
    assert any(whole.values()) and all(
        r.success == (r.unexpected_count == 0) for r in result.results
    )
    assert all('"counted_by": "duckdb"' in r.details for r in result.results)


def test_known_failures_are_counted_and_duplicates_keep_their_first_row() -> None:
    df = displacement_rows()
    result = validate(df, "displacement")
    found = counts(result.results)
    size = len(df)
    assert found[("expect_column_values_to_match_regex", "iso3")] == every(700, 3, size).sum()
    # GX counts both rows of each duplicated id, and every row with no id (same source, null
    # id: one group); only the second row of a pair is quarantined for being a duplicate.
    second = np.flatnonzero(every(2000, 7, size))
    no_id = every(1000, 1, size).sum()
    assert found[("expect_compound_columns_to_be_unique", "source,source_record_id")] == (
        2 * len(second) + no_id
    )
    assert result.reasons[second].str.startswith("source+source_record_id").all()
    assert result.reasons[second - 1].isna().all()


def test_a_file_gives_the_same_results_and_rows_as_its_frame(tmp_path: Path) -> None:
    df = displacement_rows()
    path = tmp_path / "part.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    in_memory = validate(df, "displacement")
    on_disk = validate_file(path, "displacement")
    assert counts(on_disk.results) == counts(in_memory.results)
    assert on_disk.rows == len(df)
    failed = in_memory.reasons.dropna()
    assert on_disk.failures["row_no"].tolist() == failed.index.tolist()
    assert on_disk.failures["reason"].tolist() == failed.tolist()


def test_a_predicate_that_disagrees_with_gx_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = dict(pushdown.predicates())
    wrong["expect_column_values_to_be_in_set"] = {"counted": "FALSE", "quarantined": "FALSE"}
    monkeypatch.setattr(pushdown, "predicates", lambda: wrong)
    with pytest.raises(EngineMismatchError, match="admin_level be_in_set"):
        validate(displacement_rows(), "displacement")


def test_empty_frame_passes_without_running_gx() -> None:
    result = validate(frame().iloc[0:0], "displacement")
    assert all(r.success for r in result.results)
    assert result.reasons.empty


def test_unknown_expectation_types_are_refused() -> None:
    exp = {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 1}}
    with pytest.raises(ValueError, match="no row mask"):
        pushdown.expectation_sql(exp)


def dated(table: str, column: str, values: list[str | None]) -> pd.DataFrame:
    """Rows of `table` whose `column` holds `values`, retrieved late on 1 January 2025."""
    n = len(values)
    base: dict[str, object] = {
        "displacement": {"source": "dtm", "iso3": "TCD", "admin_level": 0, "figure": 10},
        "articles": {"content_hash": "h", "summary": "a summary long enough", "url": "u"},
        "article_facts": {"fact_no": 1, "figure": 10, "unit": "people"},
    }[table]
    rows = pd.DataFrame({**base, "period_end": pd.Timestamp("2024-01-31")}, index=range(n))
    if table != "displacement":
        rows = rows.drop(columns="period_end")
    rows["source_record_id" if table == "displacement" else "article_id"] = [
        f"r{i}" for i in range(n)
    ]
    rows["source_record_id"] = [f"r{i}" for i in range(n)]
    rows["source_url"] = "file:///data/in/feed.json"
    rows["retrieved_at"] = pd.Timestamp("2025-01-01T23:30:00Z")
    aware = column == "published_at"
    rows[column] = pd.to_datetime(values, utc=aware)
    return rows


@pytest.mark.parametrize(
    ("table", "column", "values"),
    [
        ("displacement", "reported_on", ["2100-01-01", "2025-01-02", "2025-01-03", None]),
        ("displacement", "period_end", ["2100-12-31", "2025-01-02", "2025-01-03", "2024-12-31"]),
        (
            "articles",
            "published_at",
            ["2100-01-01T00:00Z", "2025-01-02T23:59Z", "2025-01-03T00:00Z", None],
        ),
        ("article_facts", "event_date", ["2100-01-01", "2025-01-02", "2025-01-03", None]),
    ],
)
def test_dates_after_the_retrieval_day_plus_one_are_quarantined(
    table: str, column: str, values: list[str | None], tmp_path: Path
) -> None:
    df = dated(table, column, values)
    result = validate(df, table)
    reasons = result.reasons
    assert reasons[[1, 3]].isna().all(), reasons.tolist()
    for row, value in ((0, "2100-"), (2, "2025-01-03")):
        assert reasons[row].startswith(f"feed.json record r{row} field {column}: later than"), (
            reasons[row]
        )
        assert value in reasons[row] and "retrieved 2025-01-01" in reasons[row]
    rule = [r for r in result.results if r.expectation == "not_later_than_retrieval"]
    assert (rule[[r.column for r in rule].index(column)].unexpected_count) == 2
    path = tmp_path / "part.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    assert validate_file(path, table).failures["row_no"].tolist() == [0, 2]


def test_a_frame_without_the_dated_column_passes_the_rule() -> None:
    df = dated("displacement", "period_end", ["2024-01-31"])
    assert "reported_on" not in df.columns
    result = validate(df, "displacement")
    assert result.reasons.isna().all()
