"""Live IDMC and UNHCR connectors against a loopback server replaying recorded responses."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from flows.fetch import FetchError
from flows.incremental import MarkedFile
from flows.pipeline import run_source
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind
from tests.replay import Replay, Reply, replay_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIENT_ID = "test-client-id-7f3a"
IDMC_HOST = "https://helix-tools-api.idmcdb.org"
GIDD = "/external-api/gidd/conflicts/"
IDU = "/external-api/idus/last-180-days/"
UNHCR = "/population/v1/population/"


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    """Settings as a live run sees them: a client id, quick retries."""
    monkeypatch.setenv("SITREP_IDMC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SITREP_ALLOWED_HOSTS", "127.0.0.1")  # the loopback test server
    monkeypatch.setenv("SITREP_HTTP_RETRIES", "2")
    monkeypatch.setenv("SITREP_HTTP_BACKOFF", "0.05")
    return Settings(home=home)


def gidd_page(n: int, base: str) -> bytes:
    """A recorded GIDD page whose `next` link points at the replay server."""
    text = (FIXTURES / f"idmc_gidd_conflicts_page_{n}_slice.json").read_text()
    body = json.loads(text.replace(IDMC_HOST, base))
    if n == 2:
        body["next"] = None  # the slice ends the walk here
    return json.dumps(body).encode()


def query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def fetch(kind: str, url: str, settings: Settings) -> list:
    source = SourceConfig(name=kind, kind=kind, location=[url])
    return get_kind(kind).fetch(source, settings)


def serve_gidd(server: Replay, *extra: Reply) -> None:
    """The three recorded pages in turn on one path (the next links differ only by offset)."""
    server.routes[GIDD] = [Reply(gidd_page(n, server.base_url)) for n in range(3)] + list(extra)


def test_gidd_follows_next_links_with_the_client_id_and_waits_out_a_429(live_env) -> None:
    with replay_server({}) as server:
        server.routes[GIDD] = [
            Reply(gidd_page(0, server.base_url)),
            Reply(b"slow down", 429, {"Retry-After": "1"}),
            Reply(gidd_page(1, server.base_url)),
            Reply(gidd_page(2, server.base_url)),
        ]
        raws = fetch("idmc-gidd", f"{server.base_url}{GIDD}?format=json&limit=100", live_env)
    asked = [query(path) for path, _ in server.requests]
    assert len(asked) == 4  # three pages, one of them asked twice
    assert all(q["client_id"] == [CLIENT_ID] for q in asked)  # set on every next link too
    assert [q.get("offset") for q in asked] == [None, ["100"], ["100"], ["200"]]
    assert [len(json.loads(r.read())["results"]) for r in raws] == [4, 4, 4]
    for raw in raws:
        assert CLIENT_ID not in raw.location and "client_id=REDACTED" in raw.location
    years = [r["year"] for raw in raws for r in json.loads(raw.read())["results"]]
    mark = {"last_updated": "2025-05-13", "year": max(years)}
    assert json.loads(raws[-1].watermark) == {
        f"{server.base_url}{GIDD}?format=json&limit=100": mark
    }


def test_idu_retries_a_500_then_reads_the_window(live_env) -> None:
    body = (FIXTURES / "idmc_idu_api_IND_slice.json").read_bytes()
    with replay_server({IDU: [Reply(b"oops", 500), Reply(body)]}) as server:
        (raw,) = fetch("idmc-idu", f"{server.base_url}{IDU}", live_env)
    assert len(server.requests) == 2
    assert all(query(p)["client_id"] == [CLIENT_ID] for p, _ in server.requests)
    assert isinstance(raw, MarkedFile) and raw.read() == body
    newest = max(r["created_at"] for r in json.loads(body))
    assert json.loads(raw.watermark) == {raw.location: {"created_at": newest}}


def test_idu_without_a_client_id_says_what_to_set(home, monkeypatch) -> None:
    monkeypatch.delenv("SITREP_IDMC_CLIENT_ID", raising=False)
    with pytest.raises(FetchError, match="SITREP_IDMC_CLIENT_ID"):
        fetch("idmc-idu", f"http://127.0.0.1:9{IDU}", Settings(home=home))


def test_failing_api_names_the_url_without_the_client_id(live_env) -> None:
    with replay_server({IDU: [Reply(b"down", 503)]}) as server, pytest.raises(FetchError) as caught:
        fetch("idmc-idu", f"{server.base_url}{IDU}", live_env)
    assert len(server.requests) == 3  # the first try and two retries
    assert "HTTP 503" in str(caught.value) and CLIENT_ID not in str(caught.value)


def test_unhcr_reads_every_page(live_env) -> None:
    pages = [(FIXTURES / f"unhcr_population_api_page_{n}.json").read_bytes() for n in (1, 2)]
    with replay_server({UNHCR: [Reply(pages[0]), Reply(pages[1])]}) as server:
        raws = fetch("unhcr", f"{server.base_url}{UNHCR}?coa_all=true", live_env)
    asked = [query(path) for path, _ in server.requests]
    assert [q["page"] for q in asked] == [["1"], ["2"]]
    assert all(q["coa_all"] == ["true"] and q["limit"] == ["1000"] for q in asked)
    assert [r.read() for r in raws] == pages
    assert json.loads(raws[-1].watermark) == {
        f"{server.base_url}{UNHCR}?coa_all=true": {"year": 2022}
    }


def marks(home: Path, source: str) -> dict:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute(
            "SELECT value FROM source_watermarks WHERE source = ?", [source]
        ).fetchone()
    return json.loads(row[0]) if row else {}


def test_gidd_runs_ask_from_the_last_year_and_keep_the_mark_when_a_fetch_fails(
    prefect_api, live_env, home
) -> None:
    with replay_server({}) as server:
        url = f"{server.base_url}{GIDD}?format=json&limit=100"
        source = SourceConfig(name="gidd-live", kind="idmc-gidd", location=[url])
        serve_gidd(server)
        run_source(source, str(home))
        first = marks(home, "gidd-live")[url]
        loaded = rows_by_url(home)
        assert len(server.requests) == 3 and len(loaded) == 3
        # Second run, same release: only the last year read, asked again.
        server.routes[GIDD] = [Reply(gidd_page(2, server.base_url))]
        run_source(source, str(home))
        (again,) = server.requests[3:]
        assert query(again[0])["start_year"] == [str(first["year"])]
        assert marks(home, "gidd-live")[url] == first
        after = rows_by_url(home)  # page 2's rows now come from the incremental URL
        assert sum(after.values()) == sum(loaded.values())
        assert not any(CLIENT_ID in u for u in after) and any("start_year" in u for u in after)
        # A failed fetch leaves the mark where it was.
        server.routes[GIDD] = [Reply(b"down", 500)]
        assert run_source(source, str(home), return_state=True).is_failed()
        assert marks(home, "gidd-live")[url] == first
        # A new release revises past years: read in full again.
        newer = json.loads(gidd_page(0, server.base_url))
        newer["last_updated"], newer["next"] = "2026-05-01", None
        server.routes[GIDD] = [Reply(json.dumps(newer).encode())]
        server.requests.clear()
        run_source(source, str(home))
    asked = [query(p) for p, _ in server.requests]
    assert "start_year" in asked[0] and "start_year" not in asked[1]
    assert marks(home, "gidd-live")[url]["last_updated"] == "2026-05-01"


def rows_by_url(home: Path) -> dict[str, int]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        got = con.execute("SELECT source_url, count(*) FROM displacement GROUP BY 1").fetchall()
    return dict(got)


def test_second_unhcr_run_asks_from_the_last_year(prefect_api, live_env, home) -> None:
    pages = [(FIXTURES / f"unhcr_population_api_page_{n}.json").read_bytes() for n in (1, 2)]
    with replay_server({UNHCR: [Reply(pages[0]), Reply(pages[1])]}) as server:
        source = SourceConfig(
            name="unhcr-live", kind="unhcr", location=[f"{server.base_url}{UNHCR}"]
        )
        run_source(source, str(home))
        server.routes[UNHCR] = [Reply(pages[0]), Reply(pages[1])]
        run_source(source, str(home))
    asked = [query(p) for p, _ in server.requests]
    assert [q.get("yearFrom") for q in asked] == [None, None, ["2022"], ["2022"]]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        loads = con.execute(
            "SELECT rows_loaded FROM load_runs WHERE source = 'unhcr-live' ORDER BY started_at"
        ).fetchall()
        total = con.execute("SELECT count(*) FROM displacement").fetchone()[0]
    assert loads[0] == loads[1] and total == loads[0][0]  # the same rows, replaced not doubled
