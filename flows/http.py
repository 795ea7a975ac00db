"""HTTP at the network edge: timeouts, retries with backoff and jitter, `Retry-After` honoured."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import tenacity

from transforms.errors import SitrepError
from transforms.redaction import redact, register_secret

RETRY_STATUS = {429, 500, 502, 503, 504}
# Headers a decoded body no longer matches, dropped when a capped body is re-wrapped.
BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class HttpError(SitrepError, RuntimeError):
    """A request that failed for good (after retries, or with a status not worth retrying)."""

    def __init__(self, url: str, message: str, status: int | None = None):
        self.url = redact(url)
        super().__init__(redact(f"{self.url}: {message}"))
        self.status = status


def redact_log_records() -> None:
    """Redact every log record from now on (message and traceback), whichever handler
    writes it: the console, a file, or Prefect's API handler (its database)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except (TypeError, ValueError):
            return record  # a malformed record is left for logging to report
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def origin(url: httpx.URL) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the port filled in: what a credential is bound to."""
    port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
    return url.scheme, url.host.lower(), port


class BoundAuth(httpx.Auth):
    """Credentials (headers and query parameters) sent only to the origins they belong to.

    httpx copies a request's headers (all but Authorization) onto a redirect, and a
    `Location` may carry the query on: `apply` runs on every hop as a request hook, so
    a hop to another origin (host, port or scheme) is sent without them.
    """

    def __init__(
        self,
        urls: Iterable[str],
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ):
        self.origins = {origin(httpx.URL(u)) for u in urls}
        self.headers = dict(headers or {})
        self.params = dict(params or {})
        for value in [*self.headers.values(), *self.params.values()]:
            register_secret(value)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.apply(request)
        yield request

    def apply(self, request: httpx.Request) -> None:
        """Attach the credentials to a request to their origin; strip them from any other."""
        ours = origin(request.url) in self.origins
        for name, value in self.headers.items():
            if ours:
                request.headers[name] = value
            else:
                request.headers.pop(name, None)
        for name, value in self.params.items():
            if ours:
                request.url = request.url.copy_set_param(name, value)
            elif name in request.url.params:
                request.url = request.url.copy_remove_param(name)


# Called on every request, redirect hops included, before it is sent; raises to refuse it.
RequestCheck = Callable[[httpx.Request], None]


def client(
    timeout: float = 30.0,
    auth: BoundAuth | None = None,
    check: RequestCheck | None = None,
) -> httpx.Client:
    """An httpx client with sitrep's user agent, timeouts and redirects followed.

    Credentials come only as a `BoundAuth` (never as client headers), re-applied on every
    redirect hop; `check` (the allowed-hosts guard) also runs on every hop.
    """
    hooks: list[RequestCheck] = [auth.apply] if auth is not None else []
    hooks += [check] if check is not None else []
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        headers={"User-Agent": "sitrep (+https://github.com/sitrep)"},
        auth=auth,
        event_hooks={"request": hooks},
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

    The one retry policy of sitrep (`retry_policy`): nothing above it retries a fetch. A body
    cut short is a dropped connection (retried); one over `max_bytes` once decoded (a gzip
    bomb, an endless stream) fails without being held in memory.
    """
    try:
        response = retry_policy(retries, backoff, max_wait)(
            _get_capped, http, url, params, max_bytes
        )
    except httpx.TransportError as exc:
        raise HttpError(url, f"{type(exc).__name__}: {exc}") from exc
    if response.is_error:
        raise HttpError(url, f"HTTP {response.status_code}", response.status_code)
    return response


def retry_policy(retries: int, backoff: float, max_wait: float) -> tenacity.Retrying:
    """`retries` more tries after the first on a transport error, 429 or 5xx, waiting what
    `Retry-After` asks or else an exponential backoff with full jitter, at most `max_wait`.

    When the tries run out, the last response is returned (the caller reports its status) or
    the last transport error raised.
    """
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retries + 1),
        retry=tenacity.retry_if_exception_type(httpx.TransportError)
        | tenacity.retry_if_result(lambda r: r.status_code in RETRY_STATUS),
        wait=_wait(backoff, max_wait),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
    )


def _wait(backoff: float, cap: float) -> Callable[[tenacity.RetryCallState], float]:
    """Seconds before the next try: the server's `Retry-After` when it sent one, else jitter."""
    jitter = tenacity.wait_random_exponential(multiplier=backoff, max=cap)

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        asked = None if outcome is None or outcome.failed else retry_after(outcome.result())
        return min(asked, cap) if asked else jitter(state)

    return wait


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
