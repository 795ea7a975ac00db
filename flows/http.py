"""HTTP at the network edge: timeouts, retries with backoff and jitter, `Retry-After` honoured."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

RETRY_STATUS = {429, 500, 502, 503, 504}


class HttpError(RuntimeError):
    """A request that failed for good (after retries, or with a status not worth retrying)."""

    def __init__(self, url: str, message: str, status: int | None = None):
        super().__init__(f"{url}: {message}")
        self.url = url
        self.status = status


def client(timeout: float = 30.0, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """An httpx client with sitrep's user agent, timeouts and redirects followed."""
    base = {"User-Agent": "sitrep (+https://github.com/sitrep)"}
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        headers={**base, **(headers or {})},
    )


def get(
    http: httpx.Client,
    url: str,
    params: Mapping[str, Any] | None = None,
    retries: int = 4,
    backoff: float = 0.5,
    max_wait: float = 60.0,
) -> httpx.Response:
    """GET with retries on timeouts, connection errors, 429 and 5xx; raises HttpError."""
    for attempt in range(retries + 1):
        try:
            response = http.get(url, params=params)
        except httpx.TransportError as exc:
            if attempt == retries:
                raise HttpError(url, f"{type(exc).__name__}: {exc}") from exc
            time.sleep(_backoff(attempt, backoff, max_wait))
            continue
        if response.status_code in RETRY_STATUS and attempt < retries:
            time.sleep(retry_after(response) or _backoff(attempt, backoff, max_wait))
            continue
        if response.is_error:
            raise HttpError(url, f"HTTP {response.status_code}", response.status_code)
        return response
    raise HttpError(url, "retries exhausted")  # pragma: no cover - loop always returns or raises


def retry_after(response: httpx.Response, cap: float = 120.0) -> float | None:
    """Seconds the server asked us to wait (`Retry-After` as seconds or HTTP date), capped."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), cap)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), cap)


def _backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt))


def paginate_next(
    http: httpx.Client, url: str, params: Mapping[str, Any] | None = None, **kw: Any
) -> Iterator[httpx.Response]:
    """Follow `next` links in JSON envelopes (IDMC GIDD style) until there is none."""
    next_url: str | None = url
    next_params = params
    while next_url:
        response = get(http, next_url, next_params, **kw)
        yield response
        next_url = response.json().get("next")
        next_params = None
