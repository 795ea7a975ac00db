"""Live API fetches: the guarded client, high-water marks carried to the load."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from flows import hosts, http
from flows.fetch import RawFile, store
from flows.settings import Settings, SourceConfig
from warehouse import watermarks


@dataclass(frozen=True)
class MarkedFile(RawFile):
    """A raw API response with the source's high-water marks as they stand after this fetch."""

    watermark: str | None = None


def api_client(
    settings: Settings, locations: list[str], auth: http.BoundAuth | None = None
) -> httpx.Client:
    """The HTTP client of a source's live locations: the settings' timeout, the allowed
    hosts checked on every hop, and, when given, credentials bound to their origins."""
    return http.client(settings.http_timeout, auth, hosts.guard(settings, locations))


def with_params(url: str, **params: Any) -> str:
    """The URL with `params` added to its own query (httpx would replace the query instead)."""
    return str(httpx.URL(url).copy_merge_params({k: v for k, v in params.items() if v is not None}))


def is_api(location: str, path_part: str) -> bool:
    """True for an http(s) URL whose path contains `path_part` (the live service's route)."""
    return "://" in location and path_part in httpx.URL(location).path


def previous_marks(settings: Settings, source: SourceConfig) -> dict[str, Any]:
    """The source's marks from its last successful load (read-only)."""
    return watermarks.current(settings.warehouse, source.name)


def keep(
    settings: Settings, response: httpx.Response, location: str, marks: dict[str, Any]
) -> MarkedFile:
    """Store a response's bytes under the public location (no credentials), with the marks."""
    raw = store(settings.raw_dir, location, response.content, ".json")
    mark = json.dumps(marks, sort_keys=True)
    return MarkedFile(raw.location, raw.path, raw.sha256, raw.retrieved_at, watermark=mark)


def split_api(source: SourceConfig, path_part: str) -> tuple[list[str], SourceConfig]:
    """The source's live-API locations, and the source narrowed to its other locations."""
    api = [loc for loc in source.location if is_api(loc, path_part)]
    rest = [loc for loc in source.location if loc not in api]
    return api, source.model_copy(update={"location": rest})


def public(url: str | httpx.URL) -> str:
    """A URL as recorded in lineage and errors: credential values replaced by REDACTED."""
    return http.redact(str(url))


def input_fingerprint(source: SourceConfig, raws: list[RawFile]) -> str:
    """SHA-256 over what decides a source run's rows: kind, params, each location and its
    content hash, and sitrep's own code. The same fingerprint twice means nothing is new."""
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
    """A hash of the code and rule data that turn raw files into rows (transforms, flows,
    expectation suites): a new sitrep version normalises every source again."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for folder in ("transforms", "flows", "expectations"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".json", ".csv", ".sql", ".txt"}:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
