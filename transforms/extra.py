"""The `extra` column: source fields without a canonical column, as one JSON object per row."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd


def merge(extra: pd.Series, notes: pd.DataFrame) -> pd.Series:
    """`extra` JSON objects (or None) with each row's non-missing `notes` added."""
    rows = notes.astype(object).where(notes.notna(), None).to_dict("records")
    merged: list[Any] = []
    for current, note in zip(extra.astype(object), rows, strict=True):
        added = {k: _plain(v) for k, v in note.items() if v is not None}
        if not added:
            merged.append(current if isinstance(current, str) else None)
            continue
        base: dict[str, Any] = json.loads(current) if isinstance(current, str) else {}
        merged.append(json.dumps({**base, **added}, ensure_ascii=False))
    return pd.Series(merged, index=extra.index, dtype=object)


def to_json(fields: pd.DataFrame) -> pd.Series:
    """One JSON object per row of `fields`, missing values left out (None when all are)."""
    return merge(pd.Series(None, index=fields.index, dtype=object), fields)


def _plain(value: Any) -> Any:
    """JSON-ready scalars: numpy numbers as Python numbers, dates and others as text."""
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, str | int | float | bool) else str(value)


def join_key(parts: list[pd.Series]) -> pd.Series:
    """Record ids: the parts joined with `|`, a missing part as empty text."""
    text = [p.astype("string").fillna("") for p in parts]
    return text[0].str.cat(text[1:], sep="|")
