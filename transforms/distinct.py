"""Compute once per distinct value: a million rows name a few thousand places, dates and codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

Out = TypeVar("Out", pd.Series, pd.DataFrame)


def per_distinct(fn: Callable[[pd.DataFrame], Out], keys: pd.DataFrame) -> Out:
    """`fn(keys)` evaluated on the distinct rows of `keys` only, then spread back to every row.

    `fn` must be row-wise (each output row depends on its input row alone) and keep the
    row order; missing values count as values.
    """
    if keys.empty:
        return fn(keys)
    try:
        codes = _codes(keys)
    except TypeError:  # unhashable values (lists, dicts from JSON): every row on its own
        return fn(keys)
    _, first = np.unique(codes, return_index=True)
    result = fn(keys.iloc[first].reset_index(drop=True))
    spread = result.iloc[codes]
    spread.index = keys.index
    return spread


def _codes(keys: pd.DataFrame) -> np.ndarray:
    """A group number per row: equal rows, equal numbers, in order of first appearance.

    Each column is factorized on its own (Arrow strings hash fast) and the codes combined,
    which is several times faster than grouping by several text columns.
    """
    codes = np.zeros(len(keys), dtype=np.int64)
    for column in keys.columns:
        column_codes, uniques = pd.factorize(keys[column], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * len(uniques) + column_codes)
    return codes


def series_per_distinct(fn: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """`fn(values)` evaluated once per distinct value (missing included), spread back."""
    frame = values.to_frame(name="value")
    return per_distinct(lambda u: fn(u["value"]), frame)
