"""HTTP at the network edge: timeouts, retries with backoff and jitter, `Retry-After` honoured."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from transforms.errors import SitrepError

RETRY_STATUS = {429, 500, 502, 503, 504}
# Query parameters that carry credentials (IDMC client_id, API keys, app identifiers).
SECRET_PARAM = re.compile(r"client_id|key|token|secret|password|app_?identifier|appname", re.I)
# Headers a decoded body no longer matches, dropped when a capped body is re-wrapped.
BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class HttpError(SitrepError, RuntimeError):
    """A request that failed for good (after retries, or with a status not worth retrying)."""

    def __init__(self, url: str, message: str, status: int | None = None):
        self.url = redact(url)
        super().__init__(f"{self.url}: {message}")
        self.status = status


def redact(url: str) -> str:
    """The URL with the values of credential query parameters replaced by REDACTED."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (k, "REDACTED" if SECRET_PARAM.search(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="/:,")))


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
    max_bytes: int | None = None,
) -> httpx.Response:
    """GET with retries on timeouts, dropped connections, 429 and 5xx; raises HttpError.

    A body cut short is a dropped connection (retried); one over `max_bytes` once decoded
    (a gzip bomb, an endless stream) fails without being held in memory.
    """
    for attempt in range(retries + 1):
        try:
            response = _get_capped(http, url, params, max_bytes)
        except httpx.TransportError as exc:
            if attempt == retries:
                raise HttpError(url, f"{type(exc).__name__}: {exc}") from exc
            time.sleep(_backoff(attempt, backoff, max_wait))
            continue
        if response.status_code in RETRY_STATUS and attempt < retries:
            time.sleep(min(retry_after(response) or _backoff(attempt, backoff, max_wait), max_wait))
            continue
        if response.is_error:
            raise HttpError(url, f"HTTP {response.status_code}", response.status_code)
        return response
    raise HttpError(url, "retries exhausted")  # pragma: no cover - loop always returns or raises


def _get_capped(
    http: httpx.Client, url: str, params: Mapping[str, Any] | None, max_bytes: int | None
) -> httpx.Response:
    """One GET whose decoded body is read in chunks and refused past `max_bytes`."""
    if max_bytes is None:
        return http.get(url, params=params)
    with http.stream("GET", url, params=params) as streamed:
        body = bytearray()
        for chunk in streamed.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise HttpError(url, f"response body over the limit of {max_bytes} bytes")
        headers = [(k, v) for k, v in streamed.headers.items() if k.lower() not in BODY_HEADERS]
        return httpx.Response(
            streamed.status_code, headers=headers, content=bytes(body), request=streamed.request
        )


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
    http: httpx.Client,
    url: str,
    params: Mapping[str, Any] | None = None,
    max_pages: int = 10_000,
    **kw: Any,
) -> Iterator[httpx.Response]:
    """Follow `next` links in JSON envelopes (IDMC GIDD style) until there is none.

    A page that is not a JSON object, a `next` link seen before, or more than `max_pages`
    pages end the walk with HttpError instead of looping or failing somewhere later.
    """
    next_url: str | None = url
    next_params = params
    seen: set[str] = set()
    while next_url:
        response = get(http, next_url, next_params, **kw)
        yield response
        seen.add(str(response.request.url))
        next_url = _next_link(response)
        next_params = None
        repeated = next_url is not None and str(httpx.URL(next_url)) in seen
        if next_url and (repeated or len(seen) >= max_pages):
            why = "repeats a page" if repeated else f"passes {max_pages} pages"
            raise HttpError(next_url, f"pagination stopped: the next link {why}")


def _next_link(response: httpx.Response) -> str | None:
    """The `next` URL of a JSON page; HttpError when the page is not a JSON object."""
    try:
        body = response.json()
    except ValueError as exc:
        raise HttpError(str(response.request.url), f"page is not JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise HttpError(str(response.request.url), "page is not a JSON object")
    link = body.get("next")
    return str(response.request.url.join(str(link))) if link else None
