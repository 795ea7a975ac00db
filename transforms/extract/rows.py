"""Extraction over rows of a table (the `sitrep extract` CSV contract and article frames)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from transforms.errors import SitrepError
from transforms.extract.facts import extract
from transforms.text_limits import MAX_EXTRACT_CHARS, truncate

OUTPUT_COLUMNS = (
    "id", "iso3", "place_name", "admin1_pcode", "admin2_pcode", "figure", "unit", "term",
    "qualifier", "event_date", "confidence",
)  # fmt: skip


class MissingColumnError(SitrepError, ValueError):
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
    rows: Iterable[dict[str, Any]],
    text_column: str,
    id_column: str,
    notes: list[str] | None = None,
    title_column: str | None = None,
    url_column: str | None = None,
) -> Iterator[dict[str, Any]]:
    """One output row per fact, an id's facts most salient first; texts with none give none.

    The title and URL columns, when named, are context for the places (the countries they
    name weigh for the text's places and stand for a figure whose sentence names none).

    A text over MAX_EXTRACT_CHARS is read up to a sentence or word break within the limit, and
    a line naming its row, id and column is added to `notes`. A NUL in the id or text is a
    csv.Error naming the row: the input is not text.
    """
    for row_no, row in enumerate(rows, start=1):
        for column in (id_column, text_column):
            if "\x00" in str(row.get(column) or ""):
                raise csv.Error(f"row {row_no} column {column!r}: a NUL byte, so not text")
        text = str(row.get(text_column) or "")
        if len(text) > MAX_EXTRACT_CHARS:
            read = truncate(text, MAX_EXTRACT_CHARS)
            if notes is not None:
                notes.append(
                    f"row {row_no} (id {row.get(id_column)}) field {text_column}: "
                    f"{len(text):,} characters, over the extraction limit of "
                    f"{MAX_EXTRACT_CHARS:,}; facts read from the first {len(read):,}"
                )
            text = read
        title = str(row.get(title_column) or "") if title_column else ""
        url = str(row.get(url_column) or "") if url_column else ""
        for fact in extract(text, title=title, url=url):
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
