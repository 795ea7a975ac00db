"""Raw bytes into frames for the statistics sources: JSON bodies, CSVs with an optional HXL row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from transforms import hxl_tags, sniff
from transforms.parsed import InputError

T = TypeVar("T")
# Levels of nested objects and lists a JSON input may have: the APIs sitrep reads nest 3 to 6
# deep; far deeper input is hostile and would end in a RecursionError somewhere downstream.
MAX_JSON_DEPTH = 64
# Bytes that can change the nesting depth or open/close a string; the rest are dropped first.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


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
    """A JSON document; InputError naming the file when it is not one, when an object repeats a
    key (a second `"result": []` would silently replace the first) or when it nests deeper than
    MAX_JSON_DEPTH."""
    sniff.refuse_nul(raw, name)
    try:
        body = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
    except _RepeatedKeyError as exc:
        raise InputError(f"{name}: not valid JSON (an object repeats the key {exc.key!r})") from exc
    except RecursionError as exc:
        raise InputError(f"{name}: {_too_deep()}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name}: not valid JSON ({exc})") from exc
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"{name}: {_too_deep()} ({depth} levels)")
    return body


class _RepeatedKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; _RepeatedKeyError naming the first key it holds twice."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKeyError(key)
            seen.add(key)
    return obj


def _too_deep() -> str:
    return f"JSON nested deeper than {MAX_JSON_DEPTH} levels of objects and lists, refused"


def json_depth(raw: bytes) -> int:
    """The deepest nesting of objects and lists in a valid JSON document, from its bytes: escape
    pairs and the text of strings are skipped, brackets counted in C and numpy (no Python loop),
    a fraction of the time `json.loads` takes."""
    if b"\\" in raw:  # an escaped backslash or quote opens no string
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = np.frombuffer(raw.translate(None, _NOT_STRUCTURE), np.uint8)
    at = np.flatnonzero(marks != ord('"'))  # the brackets; every mark before one is a quote or one
    outside = (at - np.arange(len(at))) % 2 == 0  # an even number of quotes before it
    brackets = marks[at[outside]]
    if not len(brackets):
        return 0
    opens = (brackets == ord("[")) | (brackets == ord("{"))
    return int(np.cumsum(np.where(opens, np.int8(1), np.int8(-1)), dtype=np.int32).max())


def looks_like_json(raw: bytes) -> bool:
    """True when the first non-blank byte opens a JSON object or list."""
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def read_csv(raw: bytes, name: str) -> tuple[pd.DataFrame, int]:
    """A CSV as text columns (BOM and an HXL second row dropped) and the file row of frame row 0."""
    table = hxl_tags.read_csv(raw, name)
    return table.frame, table.first_row


def envelope(body: Any, name: str, key: str, what: str) -> list[Any]:
    """The records of a JSON API envelope: the list under `key` of an object; InputError
    naming the file and what it should have been (`a DTM API v3 response`) otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise InputError(f"{name}: not {what} (no {key!r} list)")
    return body[key]


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
