"""Bring raw bytes in, from a local path or a URL, and keep them content-addressed under raw/."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from flows import http


class FetchError(RuntimeError):
    """A location could not be read; says which and why."""


@dataclass(frozen=True)
class RawFile:
    """Bytes as received: where they came from, when, and where they are kept."""

    location: str
    path: str
    sha256: str
    retrieved_at: datetime

    def read(self) -> bytes:
        return Path(self.path).read_bytes()


def store(raw_dir: Path, location: str, content: bytes, suffix: str = "") -> RawFile:
    """Keep bytes under raw/<sha[:2]>/<sha><suffix>; the same bytes are stored once."""
    digest = hashlib.sha256(content).hexdigest()
    path = raw_dir / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    return RawFile(location, str(path), digest, datetime.now(UTC))


def expand(location: str, patterns: tuple[str, ...]) -> list[str]:
    """A URL as is; a file; or a folder's files matching the kind's patterns, sorted."""
    if "://" in location:
        return [location]
    path = Path(location)
    if path.is_dir():
        found = sorted({p for pat in patterns for p in path.glob(pat) if p.is_file()})
        if not found:
            raise FetchError(f"{location}: folder has no files matching {', '.join(patterns)}")
        return [str(p) for p in found]
    if not path.exists():
        raise FetchError(f"{location}: no such file or folder")
    return [location]


def fetch_location(location: str, raw_dir: Path, client: httpx.Client | None = None) -> RawFile:
    """Read one file or URL into the raw store."""
    suffix = Path(location.split("?", 1)[0]).suffix[:8]
    if "://" not in location:
        try:
            return store(raw_dir, location, Path(location).read_bytes(), suffix)
        except OSError as exc:
            raise FetchError(f"{location}: {exc.strerror or exc}") from exc
    own = client is None
    http_client = client or http.client()
    try:
        response = http.get(http_client, location)
        return store(raw_dir, location, response.content, suffix)
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc
    finally:
        if own:
            http_client.close()
