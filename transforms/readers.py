"""Raw bytes into frames for the statistics sources: JSON bodies, CSVs with an optional HXL row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from transforms import hxl_tags, sniff
from transforms.parsed import InputError

T = TypeVar("T")


def by_content(
    raw: bytes,
    name: str,
    json_doc: Callable[[Any], T],
    csv_rows: Callable[[pd.DataFrame, int], T],
) -> T:
    """`json_doc(body)` for a JSON file, else `csv_rows(frame, first file row)` for a CSV:
    sources serve both formats, so the content decides, not the file name."""
    raw = sniff.utf8(raw, name)
    if looks_like_json(raw):
        return json_doc(json_body(raw, name))
    return csv_rows(*read_csv(raw, name))


def json_body(raw: bytes, name: str) -> Any:
    """A JSON document; InputError naming the file when it is not one."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name}: not valid JSON ({exc})") from exc


def looks_like_json(raw: bytes) -> bool:
    """True when the first non-blank byte opens a JSON object or list."""
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def read_csv(raw: bytes, name: str) -> tuple[pd.DataFrame, int]:
    """A CSV as text columns (BOM and an HXL second row dropped) and the file row of frame row 0."""
    table = hxl_tags.read_csv(raw, name)
    return table.frame, table.first_row


def extra_json(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row, the given columns that have a value, as compact JSON with sorted keys."""
    present = [c for c in columns if c in frame.columns]
    records = frame[present].astype("object").where(frame[present].notna(), None)
    return pd.Series(
        [
            json.dumps({k: v for k, v in sorted(r.items()) if v is not None}, ensure_ascii=False)
            for r in records.to_dict("records")
        ],
        index=frame.index,
        dtype="object",
    )


def year_start(year: pd.Series) -> pd.Series:
    """1 January of each year (NaT where the year is missing)."""
    return pd.to_datetime(year.astype("string") + "-01-01", errors="coerce", format="%Y-%m-%d")


def year_end(year: pd.Series) -> pd.Series:
    """31 December of each year (NaT where the year is missing)."""
    return pd.to_datetime(year.astype("string") + "-12-31", errors="coerce", format="%Y-%m-%d")


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the file has no such column (optional fields)."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column as text, whatever JSON put in its cells (a list, an object, a number)."""
    return column(frame, name).astype("string")
