"""What is new since a source's last successful load: its high-water marks (one store for
every incremental kind) and the fingerprint of its inputs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flows.fetch import RawFile
from flows.settings import Settings, SourceConfig
from warehouse import watermarks

# What turns raw files into rows: the transforms with their reference data, and the suites.
CODE_FOLDERS = ("transforms", "expectations")


@dataclass(frozen=True)
class MarkedFile(RawFile):
    """A raw file with the source's high-water marks as they stand after this fetch (JSON
    by location), saved in the load's transaction when the load succeeds."""

    watermark: str | None = None


def previous_marks(settings: Settings, source: SourceConfig) -> dict[str, Any]:
    """The source's marks by location from its last successful load ({} before one)."""
    return watermarks.current(settings.warehouse, source.name, settings.warehouse_limits)


def marked(raw: RawFile, marks: dict[str, Any]) -> MarkedFile:
    """The raw file carrying the source's marks."""
    mark = json.dumps(marks, sort_keys=True)
    return MarkedFile(raw.location, raw.path, raw.sha256, raw.retrieved_at, watermark=mark)


def input_fingerprint(source: SourceConfig, raws: list[RawFile]) -> str:
    """SHA-256 over what decides a source run's rows: kind, params, each location and its
    content hash, and the code that makes rows. The same fingerprint twice means nothing is new."""
    parts = {
        "kind": source.kind,
        "params": source.params,
        "inputs": sorted((r.location, r.sha256) for r in raws),
        "code": code_version(),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def code_version() -> str:
    """A hash of the transforms, their reference data and the expectation suites: a change
    there normalises every source again; a change to the orchestration (flows/) does not."""
    return code_digest(Path(__file__).resolve().parents[1])


def code_digest(root: Path) -> str:
    """SHA-256 over the paths and bytes of the code and data files under CODE_FOLDERS."""
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".json", ".csv", ".sql", ".txt"}:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
