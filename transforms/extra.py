"""The `extra` column: source fields without a canonical column, as one JSON object per row.

Built column by column: each distinct value is encoded once (`"key": value`) and the pieces
of a row are joined by Arrow, so a million rows cost a handful of vectorised passes, not a
million `json.dumps` calls. The text is exactly what `json.dumps(dict)` gives.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SEPARATOR = ", "


def merge(extra: pd.Series, notes: pd.DataFrame) -> pd.Series:
    """`extra` JSON objects (or None) with each row's non-missing `notes` added."""
    added = members(notes)
    current = extra.astype(object).where(extra.notna(), None)
    clash = _shares_keys(current, notes.columns)
    out = _concat_members(current.where(~clash, None), added)
    for pos in clash.to_numpy().nonzero()[0]:
        out.iloc[pos] = _merge_one(current.iloc[pos], notes.iloc[pos])
    return out


def to_json(fields: pd.DataFrame, columns: list[str] | None = None) -> pd.Series:
    """One JSON object per row of `fields` (or of those of `columns` it has, in that order),
    missing values left out, None when all are: the one encoding of `extra` for every kind."""
    if columns is not None:
        fields = fields[[c for c in columns if c in fields.columns]]
    return _concat_members(pd.Series(None, index=fields.index, dtype=object), members(fields))


def members(fields: pd.DataFrame) -> pa.Array:
    """Per row the `"key": value` members of its non-missing fields, joined; null when none."""
    if not len(fields.columns):
        return pa.nulls(len(fields), pa.string())
    pieces = [_member(name, fields[name]) for name in fields.columns]
    joined = pc.binary_join_element_wise(*pieces, "", null_handling="replace", null_replacement="")
    trimmed = pc.utf8_slice_codeunits(joined, 0, -len(SEPARATOR))  # the last separator
    return pc.if_else(pc.equal(trimmed, ""), None, trimmed)


def join_present(pieces: list[pa.Array]) -> pa.Array:
    """Per row the non-null pieces joined by SEPARATOR; null where all are null.

    (pyarrow's own `null_handling="skip"` drops the rows where every piece is null.)
    """
    out = pieces[0]
    for piece in pieces[1:]:
        both = pc.binary_join_element_wise(out, piece, SEPARATOR)
        out = pc.coalesce(both, out, piece)
    return out


def _member(name: str, values: pd.Series) -> pa.Array:
    """`"name": <value as JSON>, ` per row, encoded once per distinct value; null if missing."""
    key = json.dumps(str(name), ensure_ascii=False) + ": "
    if pd.api.types.is_integer_dtype(values.dtype):  # JSON writes integers as their digits
        digits = pa.array(values, from_pandas=True).cast(pa.string())
        return pc.binary_join_element_wise(key, digits, SEPARATOR, "")
    if values.dtype == object and values.map(lambda v: isinstance(v, list | dict)).any():
        values = values.map(lambda v: v if _missing(v) else json.dumps(v, ensure_ascii=False))
        return _encoded(key, values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    encoded = [key + json.dumps(_plain(v), ensure_ascii=False) + SEPARATOR for v in uniques]
    table = pa.array(encoded, type=pa.string())
    return table.take(pa.array(codes, mask=codes < 0, type=pa.int64()))


def _encoded(key: str, json_text: pd.Series) -> pa.Array:
    """`"name": <text as is>, ` per row of values already encoded as JSON; null if missing."""
    codes, uniques = pd.factorize(json_text, use_na_sentinel=True)
    table = pa.array([key + str(v) + SEPARATOR for v in uniques], type=pa.string())
    return table.take(pa.array(codes, mask=codes < 0, type=pa.int64()))


def _missing(value: Any) -> bool:
    return not isinstance(value, list | dict) and bool(pd.isna(value))


def _concat_members(current: pd.Series, added: pa.Array) -> pd.Series:
    """Objects of `current` (JSON text or None) with `added` members appended at the end."""
    base = pa.array(current.astype(object), type=pa.string(), from_pandas=True)
    if base.null_count == len(base):
        result = pc.binary_join_element_wise("{", added, "}", "")
    else:
        inner = pc.utf8_slice_codeunits(base, 1, -1)  # "{...}" without its braces
        joined = join_present([pc.if_else(pc.equal(inner, ""), None, inner), added])
        wrapped = pc.binary_join_element_wise("{", joined, "}", "")
        result = pc.if_else(pc.is_null(added), base, wrapped)
    return pd.Series(pd.arrays.ArrowStringArray(result), index=current.index)


def _shares_keys(current: pd.Series, keys: pd.Index) -> pd.Series:
    """Rows whose JSON already has one of `keys`; those are merged one by one (rare)."""
    if not len(keys):
        return pd.Series(False, index=current.index)
    pattern = "|".join(re.escape(json.dumps(str(k)) + ":") for k in keys)
    text = current.astype("string")
    return text.str.contains(pattern, regex=True, na=False).astype(bool)


def _merge_one(current: str, note: pd.Series) -> str:
    base: dict[str, Any] = json.loads(current)
    added = {k: _plain(v) for k, v in note.items() if not pd.isna(v)}
    return json.dumps({**base, **added}, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """JSON-ready scalars: numpy numbers as Python numbers, dates and others as text."""
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, str | int | float | bool) else str(value)


def join_key(parts: list[pd.Series]) -> pd.Series:
    """Record ids: the parts joined with `|`, a missing part as empty text."""
    text = [pa.array(p.astype("string"), type=pa.string(), from_pandas=True) for p in parts]
    joined = pc.binary_join_element_wise(*text, "|", null_handling="replace")
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=parts[0].index)
