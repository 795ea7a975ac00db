"""Bring raw bytes in, from a local path or a URL, and keep them content-addressed under raw/."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from flows import http
from flows.settings import Settings, SourceConfig
from transforms.errors import SitrepError
from transforms.redaction import known_secrets, redact_bytes

CHUNK = 2**20


class FetchError(SitrepError, RuntimeError):
    """A location could not be read; says which and why (secrets in it redacted)."""

    def __init__(self, message: str):
        super().__init__(http.redact(message))


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
    return store_chunks(raw_dir, location, [content], suffix)


def store_chunks(
    raw_dir: Path, location: str, chunks: Iterable[bytes], suffix: str = ""
) -> RawFile:
    """Like `store`, from chunks: hashed while written, never held in memory whole.

    Each writer has its own temporary file, so processes storing the same bytes at once
    cannot hand each other a half-written file. Credentials are not recorded: not in the
    URL, and a body that echoes one (an API repeating the request) has its value redacted.
    """
    incoming = raw_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    tmp = incoming / f"{uuid.uuid4().hex}.tmp"
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for chunk in _redacted(chunks):
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        path = raw_dir / sha[:2] / f"{sha}{suffix}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return RawFile(http.redact(location), str(path), sha, datetime.now(UTC))


def _redacted(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks with known credential values redacted, also across chunk boundaries."""
    secrets = known_secrets()
    if not secrets:
        yield from chunks
        return
    keep = 2 * max(len(s) for s in secrets)  # UTF-16: two bytes a character
    tail = b""
    for chunk in chunks:
        buffer = redact_bytes(tail + chunk)
        tail = buffer[-keep:]
        yield buffer[:-keep]
    yield tail


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


def fetch_files(
    source: SourceConfig, settings: Settings, patterns: tuple[str, ...]
) -> list[RawFile]:
    """The default fetch: every location (file, folder or URL) into the raw store."""
    locations = [loc for where in source.location for loc in expand(where, patterns)]
    return [fetch_location(loc, settings.raw_dir, settings=settings) for loc in locations]


def fetch_location(
    location: str,
    raw_dir: Path,
    client: httpx.Client | None = None,
    settings: Settings | None = None,
) -> RawFile:
    """Read one file or URL into the raw store, within the settings' size limit and retries."""
    limits = settings or Settings()
    suffix = Path(location.split("?", 1)[0]).suffix[:8]
    if "://" not in location:
        return _fetch_file(location, raw_dir, suffix, limits.max_input_bytes)
    from flows import hosts  # imports this module: the guard's error is a FetchError

    own = client is None
    http_client = client or http.client(limits.http_timeout, check=hosts.guard(limits, [location]))
    try:
        response = http.get(http_client, location, **limits.http_limits())
        return store(raw_dir, location, response.content, suffix)
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc
    finally:
        if own:
            http_client.close()


def _fetch_file(location: str, raw_dir: Path, suffix: str, max_bytes: int) -> RawFile:
    """A local file copied in chunks; over `max_bytes` it is refused before being read."""
    try:
        size = Path(location).stat().st_size
        if size > max_bytes:
            raise FetchError(
                f"{location}: {size} bytes, over the input limit of {max_bytes} bytes "
                "(SITREP_MAX_INPUT_BYTES)"
            )
        return store_chunks(raw_dir, location, _chunks(Path(location)), suffix)
    except OSError as exc:
        raise FetchError(f"{location}: {exc.strerror or exc}") from exc


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk
