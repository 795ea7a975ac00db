"""Source vocabularies mapped onto sitrep's (qualifiers, causes, metrics), kept as data."""

from __future__ import annotations

from functools import cache

import pandas as pd

from transforms.gazetteer import DATA


@cache
def _table() -> pd.DataFrame:
    return pd.read_csv(DATA / "source_terms.csv", dtype="string", keep_default_na=False)


@cache
def terms(source: str, field: str) -> dict[str, str]:
    """`value -> term` for one source field (values as listed, compare case-folded)."""
    rows = _table()
    rows = rows[(rows["source"] == source) & (rows["field"] == field)]
    if rows.empty:
        raise KeyError(f"no terms for {source}.{field} in source_terms.csv")
    return dict(zip(rows["value"], rows["term"], strict=True))


def mapped(values: pd.Series, source: str, field: str) -> pd.Series:
    """Each value's term (matched case-insensitively, spaces trimmed); NA when unmapped."""
    table = {k.casefold(): v for k, v in terms(source, field).items()}
    return values.astype("string").str.strip().str.casefold().map(table).astype("string")
