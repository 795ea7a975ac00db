"""Faults from sources, on real loopback HTTP: each ends in a retried success or a clean failure."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from flows import http
from flows.fetch import FetchError, RawFile, fetch_location
from flows.settings import Settings
from reliability.faultserver import (
    ok,
    raw_server,
    reset,
    reset_mid_body,
    truncated,
    truncated_unframed,
)
from tests.replay import Reply, replay_server
from transforms import dtm
from transforms.lineage import Origin
from transforms.parsed import InputError
from transforms.schema import SchemaDriftError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "displacement-admin0-tcd-slice.json"
BODY = FIXTURE.read_bytes()
HTML_ERROR = b"<html><head><title>Service Unavailable</title></head><body>Down</body></html>"


def parse(raw: RawFile) -> int:
    """Rows the DTM transform makes of a fetched file."""
    origin = Origin("live", raw.location, raw.retrieved_at, "run-1")
    return len(dtm.parse(raw.read(), origin).tables["displacement"])


def test_5xx_then_success_is_retried(tmp_path: Path, fast_http: Settings) -> None:
    replies = [Reply(b"oops", 500), Reply(b"bad gateway", 502), Reply(BODY)]
    with replay_server({"/dtm.json": replies}) as srv:
        raw = fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert len(srv.requests) == 3
    assert parse(raw) == 6


def test_5xx_forever_fails_naming_url_and_status(tmp_path: Path, fast_http: Settings) -> None:
    with (
        replay_server({"/dtm.json": [Reply(b"oops", 503)]}) as srv,
        pytest.raises(FetchError, match=r"/dtm\.json: HTTP 503"),
    ):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert len(srv.requests) == fast_http.http_retries + 1
    assert not list(tmp_path.rglob("*.json"))


def test_client_error_is_not_retried(tmp_path: Path, fast_http: Settings) -> None:
    with (
        replay_server({"/dtm.json": [Reply(b"no", 404)]}) as srv,
        pytest.raises(FetchError, match="HTTP 404"),
    ):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert len(srv.requests) == 1


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_waits_as_long_as_retry_after_says(
    tmp_path: Path, fast_http: Settings, form: str
) -> None:
    when = format_datetime(datetime.fromtimestamp(time.time() + 2, UTC), usegmt=True)
    header = "1" if form == "seconds" else when
    replies = [Reply(b"slow down", 429, {"Retry-After": header}), Reply(BODY)]
    with replay_server({"/dtm.json": replies}) as srv:
        started = time.monotonic()
        raw = fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
        waited = time.monotonic() - started
    assert parse(raw) == 6
    assert waited >= 0.9  # the backoff alone is at most 0.01 s
    assert len(srv.requests) == 2


def test_429_forever_fails_cleanly(tmp_path: Path, fast_http: Settings) -> None:
    replies = [Reply(b"slow down", 429, {"Retry-After": "0"})]
    with replay_server({"/dtm.json": replies}) as srv, pytest.raises(FetchError, match="HTTP 429"):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)


def test_slow_response_times_out_then_fails(tmp_path: Path, fast_http: Settings) -> None:
    with (
        replay_server({"/dtm.json": [Reply(BODY, delay=1.0)]}) as srv,
        pytest.raises(FetchError, match="ReadTimeout"),
    ):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert len(srv.requests) == fast_http.http_retries + 1


def test_slow_then_fast_succeeds(tmp_path: Path, fast_http: Settings) -> None:
    with replay_server({"/dtm.json": [Reply(BODY, delay=1.0), Reply(BODY)]}) as srv:
        raw = fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert parse(raw) == 6


@pytest.mark.parametrize(
    "fault", [reset(), reset_mid_body(BODY), truncated(BODY)], ids=["reset", "mid-body", "short"]
)
def test_dropped_connection_is_retried(tmp_path: Path, fast_http: Settings, fault) -> None:
    with raw_server([fault, ok(BODY)]) as srv:
        raw = fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert srv.connections == 2
    assert parse(raw) == 6


def test_dropped_connection_forever_fails_cleanly(tmp_path: Path, fast_http: Settings) -> None:
    with (
        raw_server([truncated(BODY)]) as srv,
        pytest.raises(FetchError, match="RemoteProtocolError"),
    ):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    assert srv.connections == fast_http.http_retries + 1


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (BODY[: len(BODY) // 2], "unframed"),
        (b'{"result": [ {"operation": ', "invalid JSON"),
        (HTML_ERROR, "HTML error page with status 200"),
    ],
)
def test_body_that_looks_complete_but_is_not_json(
    tmp_path: Path, fast_http: Settings, body: bytes, fault: str
) -> None:
    behaviour = truncated_unframed(BODY) if fault == "unframed" else ok(body)
    with raw_server([behaviour]) as srv:
        raw = fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=fast_http)
    with pytest.raises((InputError, SchemaDriftError), match=r"dtm\.json"):
        parse(raw)


def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (64 * 2**20), compresslevel=9)  # 64 MiB in ~64 KiB
    settings = Settings(max_input_bytes=2**20, http_retries=0, allowed_hosts=["127.0.0.1"])
    reply = Reply(bomb, headers={"Content-Encoding": "gzip"})
    with (
        replay_server({"/dtm.json": [reply]}) as srv,
        pytest.raises(FetchError, match="over the limit of 1048576 bytes"),
    ):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=settings)
    assert len(bomb) < 2**20


def test_page_after_first_fails(fast_http: Settings) -> None:
    first = b'{"next": "/gidd?page=2&client_id=S3CRET", "results": [1]}'
    routes = {"/gidd": [Reply(first)], "/gidd?page=2&client_id=S3CRET": [Reply(b"", 500)]}
    pages = []
    with (
        replay_server(routes) as srv,
        http.client(0.5) as client,
        pytest.raises(http.HttpError, match="HTTP 500") as caught,
    ):
        pages.extend(http.paginate_next(client, f"{srv.base_url}/gidd", retries=1))
    assert len(pages) == 1
    assert "S3CRET" not in str(caught.value)
    assert "client_id=REDACTED" in str(caught.value)


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (b'{"next": "/gidd", "results": []}', "repeats a page"),
        (HTML_ERROR, "page is not JSON"),
        (b"[1, 2]", "not a JSON object"),
    ],
)
def test_pagination_ends_cleanly_on_bad_pages(second: bytes, message: str) -> None:
    routes = {"/gidd": [Reply(b'{"next": "/gidd?page=2", "results": []}')]}
    routes["/gidd?page=2"] = [Reply(second)]
    with (
        replay_server(routes) as srv,
        http.client(0.5) as client,
        pytest.raises(http.HttpError, match=message),
    ):
        list(http.paginate_next(client, f"{srv.base_url}/gidd", retries=0))


def test_pagination_has_a_page_limit() -> None:
    routes = {
        "/p": [Reply(b'{"next": "/p?page=1"}')],
        "/p?page=1": [Reply(b'{"next": "/p?page=2"}')],
    }
    with (
        replay_server(routes) as srv,
        http.client(0.5) as client,
        pytest.raises(http.HttpError, match="passes 2 pages"),
    ):
        list(http.paginate_next(client, f"{srv.base_url}/p", max_pages=2, retries=0))


def test_credentials_never_reach_the_raw_record(tmp_path: Path, fast_http: Settings) -> None:
    with replay_server({"/dtm.json": [Reply(BODY)]}) as srv:
        raw = fetch_location(
            f"{srv.base_url}/dtm.json?client_id=S3CRET&iso3=TCD", tmp_path, settings=fast_http
        )
    assert "S3CRET" not in raw.location
    assert raw.location.endswith("/dtm.json?client_id=REDACTED&iso3=TCD")


def test_timeout_setting_reaches_the_client(tmp_path: Path) -> None:
    settings = Settings(http_timeout=0.2, http_retries=0, allowed_hosts=["127.0.0.1"])
    with (
        replay_server({"/dtm.json": [Reply(BODY, delay=0.6)]}) as srv,
        pytest.raises(FetchError, match="ReadTimeout"),
    ):
        fetch_location(f"{srv.base_url}/dtm.json", tmp_path, settings=settings)
    assert len(srv.requests) == 1
