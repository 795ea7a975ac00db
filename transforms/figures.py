"""Figures as sources write them: numbers, numbers as strings, thousands separators, `NA`."""

from __future__ import annotations

import pandas as pd

# Cell values that mean "no figure here" rather than a bad figure.
BLANK = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "not available"})
# From 2**53 on, a float (and so a JSON number) no longer holds every whole number exactly.
MAX_FIGURE = 2**53


def is_blank(values: pd.Series) -> pd.Series:
    """True where a cell holds no figure at all (empty, `NA`, `-`, `Not available`...)."""
    text = values.astype("string").str.strip().str.lower()
    return (text.isna() | text.isin(BLANK)).astype(bool)


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from numbers or text (`1,234`, `1 234`, `4e+05`, `12.0`); NA when not a number."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}\b)", "", regex=True)
    return pd.to_numeric(text.mask(is_blank(values)), errors="coerce").astype("Float64")


def figure_problem(values: pd.Series) -> pd.Series:
    """Why each non-blank cell is not a usable figure (NA when it is one, or is blank)."""
    number = to_number(values)
    blank = is_blank(values)
    reason = pd.Series(pd.NA, index=values.index, dtype="string")
    reason = reason.mask(~blank & number.isna(), "not a number")
    reason = reason.mask(number.notna() & (number < 0), "negative figure")
    whole = number.notna() & (number % 1 != 0)
    reason = reason.mask(whole.fillna(False).astype(bool), "not a whole number")
    return reason.mask(number.notna() & (number.abs() >= MAX_FIGURE), "too large")


def whole_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole, non-negative figures (missing where blank or bad) and a mask of the bad cells."""
    bad = figure_problem(values).notna()
    return to_number(values).where(~bad).astype("Int64"), bad
