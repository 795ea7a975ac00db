"""What a transform returns: canonical rows per table and the rows it could not use."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from transforms.errors import SitrepError
from transforms.places import resolve_and_count
from transforms.schema import conform


class InputError(SitrepError, ValueError):
    """A whole input cannot be read (not the expected format); names the file and what is wrong."""


@dataclass(frozen=True)
class Reject:
    """One input row that could not become a canonical row, and why."""

    row_no: int
    reason: str
    record: dict[str, Any]
    source_record_id: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "row_no": self.row_no,
            "source_record_id": self.source_record_id,
            "reason": self.reason,
            "record": json.dumps(self.record, default=str, ensure_ascii=False),
        }


@dataclass
class Parsed:
    """Canonical frames by table name, with the rejected input rows by table name, and notes on
    rows kept with a change (a text cut at its size limit), each naming file, row and field."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: dict[str, list[Reject]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def rows_in(self, table: str) -> int:
        return len(self.tables.get(table, ())) + len(self.rejects.get(table, ()))


@dataclass
class Canonical:
    """A batch as it is staged: per table its rows in the table's Arrow schema (places resolved,
    lineage and `extra` set) and its rejects as a frame; `unresolved` of `placed` rows name an
    admin unit the gazetteer lacks (kept as given)."""

    tables: dict[str, pa.Table]
    rejects: dict[str, pd.DataFrame]
    notes: list[str]
    unresolved: int = 0
    placed: int = 0


@dataclass
class Staged:
    """A file staged by SQL: its rows as a DuckDB relation, its rejects batch by batch.

    `rows` names a view in the transform's connection with the table's columns and
    `_file_row`, the row in the file (the last row of the file: `last_row`); `placed` rows
    of it, `unresolved` of them naming an admin unit the gazetteer lacks."""

    rows: str
    rejects: Iterator[pd.DataFrame]
    placed: int
    unresolved: int
    last_row: int


def canonical(parsed: Parsed, tables: Iterable[str]) -> Canonical:
    """Finish a transform's batch: displacement places resolved against the gazetteer, every
    table conformed to its declared schema (SchemaDriftError on a column it does not declare)."""
    out = Canonical({}, {}, list(parsed.notes))
    for table in tables:
        frame = parsed.tables.get(table)
        if frame is not None and len(frame):
            if table == "displacement":
                frame, not_found = resolve_and_count(frame)
                out.unresolved += not_found
                out.placed += len(frame)
            out.tables[table] = conform(frame, table)
        if parsed.rejects.get(table):
            out.rejects[table] = rejects_frame(parsed.rejects[table])
    return out


def rejects_frame(rejects: list[Reject]) -> pd.DataFrame:
    """Rejects as a frame with columns row_no, source_record_id, reason, record."""
    cols = ["row_no", "source_record_id", "reason", "record"]
    return pd.DataFrame([r.as_row() for r in rejects], columns=cols)


def split_rejects(
    raw: pd.DataFrame, problems: pd.Series, ids: pd.Series, row_offset: int = 1
) -> tuple[pd.Series, list[Reject]]:
    """Rows whose `problems` entry is set become Rejects; returns the keep-mask and the rejects.

    `problems` holds a reason string (or NA) per row; `row_offset` turns the frame position into
    the row number a user sees in the file (1 for JSON records, 2 or 3 for CSV with headers).
    """
    bad = problems.notna()
    rejects = [
        Reject(
            row_no=int(pos) + row_offset,
            reason=str(problems.iloc[pos]),
            record={k: _plain(v) for k, v in raw.iloc[pos].items()},
            source_record_id=None if pd.isna(ids.iloc[pos]) else str(ids.iloc[pos]),
        )
        for pos in bad.to_numpy().nonzero()[0]
    ]
    return ~bad, rejects


def problem(
    mask: pd.Series, name: str, values: pd.Series, field: str, what: str, row_offset: int = 1
) -> pd.Series:
    """A reason per failing row, `<file> row N field F: <what> (<value>)`, NA elsewhere.

    The text is built for the failing rows only: most rows of a large file pass every check.
    """
    failing = mask.fillna(False).astype(bool).to_numpy().nonzero()[0]
    reasons = pd.Series(pd.NA, index=values.index, dtype="object")
    if len(failing):
        shown = values.iloc[failing].astype("string").fillna("null").str.slice(0, 80)
        reasons.iloc[failing] = [
            f"{name} row {pos + row_offset} field {field}: {what} ({value})"
            for pos, value in zip(failing, shown, strict=True)
        ]
    return reasons


def first_problem(*checks: pd.Series) -> pd.Series:
    """Per row, the first non-NA reason among several checks (each a Series of reason or NA)."""
    out = checks[0].astype("object")
    for check in checks[1:]:
        if check.notna().any():
            out = out.where(out.notna(), check)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
