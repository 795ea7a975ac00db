"""Extraction over rows of a table (the `sitrep extract` CSV contract and article frames)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from transforms.extract.facts import extract

OUTPUT_COLUMNS = (
    "id", "iso3", "place_name", "admin1_pcode", "admin2_pcode", "figure", "unit", "term",
    "qualifier", "event_date", "confidence",
)  # fmt: skip


class MissingColumnError(ValueError):
    """The input table lacks a column the caller named."""


class RepeatedColumnError(MissingColumnError):
    """The input header names a column twice: which of the two is meant is unknown."""


def check_columns(header: Iterable[str], *needed: str) -> None:
    """Raise MissingColumnError naming each needed column the header lacks, RepeatedColumnError
    naming a column it holds twice (a CSV reader would silently keep one of them)."""
    have = list(header)
    repeated = [c for c, n in Counter(have).items() if n > 1]
    if repeated:
        raise RepeatedColumnError(f"the header names column {repeated[0]!r} twice; rename one")
    missing = [c for c in needed if c not in have]
    if missing:
        raise MissingColumnError(
            f"no column {', '.join(map(repr, missing))}; columns are: {', '.join(have)}"
        )


def extract_rows(
    rows: Iterable[dict[str, Any]], text_column: str, id_column: str
) -> Iterator[dict[str, Any]]:
    """One output row per fact, an id's facts most salient first; texts with none give none.
    A NUL in the id or text is a csv.Error naming the row: the input is not text."""
    for n, row in enumerate(rows, start=2):
        text = row.get(text_column) or ""
        for column in (id_column, text_column):
            if "\x00" in str(row.get(column) or ""):
                raise csv.Error(f"row {n} column {column!r}: a NUL byte, so not text")
        for fact in extract(str(text)):
            yield {
                "id": row.get(id_column),
                "iso3": fact.iso3,
                "place_name": fact.place_name,
                "admin1_pcode": fact.admin1_pcode,
                "admin2_pcode": fact.admin2_pcode,
                "figure": fact.figure,
                "unit": fact.unit,
                "term": fact.term,
                "qualifier": fact.qualifier,
                "event_date": fact.event_date.isoformat()
                if isinstance(fact.event_date, date)
                else None,
                "confidence": fact.confidence,
            }
