"""The one figure parser every statistics transform uses."""

from __future__ import annotations

import pandas as pd

from transforms.figures import figure_problem, whole_numbers

CELLS = ["1,234", "1 234", "4e+05", 12.0, "NA", "n/a", "", None, "12.5", "-3", "9" * 20, "x"]


def test_whole_numbers_reads_what_sources_write_and_flags_the_rest() -> None:
    number, bad = whole_numbers(pd.Series(CELLS, dtype="object"))
    assert number.tolist()[:4] == [1234, 1234, 400000, 12]
    assert number[4:].isna().all()
    assert bad.tolist() == [False] * 8 + [True] * 4


def test_each_bad_figure_has_its_reason() -> None:
    reasons = figure_problem(pd.Series(CELLS[8:], dtype="object")).tolist()
    assert reasons == ["not a whole number", "negative figure", "too large", "not a number"]
