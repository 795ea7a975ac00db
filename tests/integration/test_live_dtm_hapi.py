"""Live DTM API v3 and HDX HAPI connectors against a loopback server replaying recordings."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from flows.fetch import FetchError
from flows.pipeline import run_source
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind
from tests.replay import Reply, replay_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DTM_KEY = "dtm-key-5c1e9a"
HAPI_APP = "c2l0cmVwOnRlc3RAZXhhbXBsZS5vcmc="
DTM = "/v3/displacement"
HAPI = "/api/v2/affected-people/idps"
DTM_BODIES = {
    0: FIXTURES / "dtm_api_admin0_hti_slice.json",
    1: FIXTURES / "dtm_api_admin1_hti_slice.json",
    2: FIXTURES / "displacement-admin2-hti-slice.json",
}


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    """Settings as a live run sees them: credentials, quick retries."""
    monkeypatch.setenv("SITREP_DTM_SUBSCRIPTION_KEY", DTM_KEY)
    monkeypatch.setenv("SITREP_HAPI_APP_IDENTIFIER", HAPI_APP)
    monkeypatch.setenv("SITREP_ALLOWED_HOSTS", "127.0.0.1")  # the loopback test server
    monkeypatch.setenv("SITREP_HTTP_RETRIES", "2")
    monkeypatch.setenv("SITREP_HTTP_BACKOFF", "0.05")
    return Settings(home=home)


def dtm_routes(first: dict[int, list[Reply]] | None = None) -> dict[str, list[Reply]]:
    """Each admin level for Haiti; `first` puts failures before a level's recorded body."""
    return {
        f"{DTM}/admin{n}?Admin0Pcode=HTI": [*(first or {}).get(n, []), Reply(p.read_bytes())]
        for n, p in DTM_BODIES.items()
    }


def dtm_source(base: str, name: str = "dtm-live") -> SourceConfig:
    return SourceConfig(name=name, kind="dtm", location=[base + DTM], params={"countries": ["HTI"]})


def records(path: Path) -> list[dict]:
    return json.loads(path.read_text())["result"]


def test_dtm_asks_every_level_with_the_key_header_and_waits_out_429_and_500(live_env) -> None:
    routes = dtm_routes({0: [Reply(b"busy", 429, {"Retry-After": "1"})], 1: [Reply(b"", 500)]})
    with replay_server(routes) as server:
        started = time.monotonic()
        raws = get_kind("dtm").fetch(dtm_source(server.base_url), live_env)
        waited = time.monotonic() - started
    paths = [path for path, _ in server.requests]
    assert paths == [f"{DTM}/admin{n}?Admin0Pcode=HTI" for n in (0, 0, 1, 1, 2)]
    assert all(h.get("Ocp-Apim-Subscription-Key") == DTM_KEY for _, h in server.requests)
    assert waited >= 1.0  # Retry-After honoured
    assert [json.loads(r.read())["result"] for r in raws] == [
        records(p) for p in DTM_BODIES.values()
    ]
    assert all(DTM_KEY not in r.location for r in raws)
    assert raws[0].location == f"{server.base_url}{DTM}/admin0?Admin0Pcode=HTI"


def test_dtm_country_names_and_filters_go_as_query_parameters(live_env) -> None:
    body = DTM_BODIES[1].read_bytes()
    with replay_server({f"{DTM}/admin1": [Reply(body)]}) as server:
        source = SourceConfig(
            name="dtm-live",
            kind="dtm",
            location=[server.base_url + DTM],
            params={
                "countries": ["Haiti"],
                "admin_levels": [1],
                "filters": {"FromReportingDate": "2024-01-01"},
            },
        )
        get_kind("dtm").fetch(source, live_env)
    [(path, _)] = server.requests
    query = parse_qs(urlsplit(path).query)
    assert query == {"CountryName": ["Haiti"], "FromReportingDate": ["2024-01-01"]}


def test_dtm_without_a_key_says_what_to_set(home, monkeypatch) -> None:
    monkeypatch.delenv("SITREP_DTM_SUBSCRIPTION_KEY", raising=False)
    with pytest.raises(FetchError, match="SITREP_DTM_SUBSCRIPTION_KEY"):
        get_kind("dtm").fetch(dtm_source("http://127.0.0.1:9"), Settings(home=home))


def test_a_failing_dtm_api_names_the_url_never_the_key(live_env) -> None:
    routes = {f"{DTM}/admin0": [Reply(b"down", 503)]}
    with replay_server(routes) as server, pytest.raises(FetchError) as caught:
        get_kind("dtm").fetch(dtm_source(server.base_url), live_env)
    assert "admin0" in str(caught.value) and "HTTP 503" in str(caught.value)
    assert DTM_KEY not in str(caught.value)


def warehouse_text(home: Path) -> str:
    """Every text value the warehouse keeps about runs, rows and quarantine."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        parts = [
            con.execute(f"SELECT string_agg(CAST(t AS VARCHAR), ' ') FROM {table} AS t").fetchone()
            for table in ("load_runs", "displacement", "quarantine")
        ]
    return " ".join(str(p[0]) for p in parts)


def test_live_dtm_run_loads_every_level_and_keeps_the_key_out(
    prefect_api, live_env, home, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    with replay_server(dtm_routes()) as server:
        run_source(dtm_source(server.base_url), str(home))
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            first = con.execute("SELECT count(*), sum(figure) FROM displacement").fetchone()
        server.routes.update(dtm_routes())
        run_source(dtm_source(server.base_url), str(home))
    expected = [r for p in DTM_BODIES.values() for r in records(p)]
    assert first == (len(expected), sum(r["numPresentIdpInd"] for r in expected))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM displacement").fetchone()[0] == first[0]
        levels = con.execute(
            "SELECT admin_level, count(*) FROM displacement GROUP BY 1 ORDER BY 1"
        ).fetchall()
        resolved = con.execute(
            "SELECT sum(unresolved) FROM admin_resolution WHERE source = 'dtm-live'"
        ).fetchone()[0]
    assert levels == [(n, len(records(p))) for n, p in DTM_BODIES.items()]
    assert resolved == 0
    assert DTM_KEY not in warehouse_text(home) and DTM_KEY not in caplog.text


def hapi_pages(size: int) -> list[bytes]:
    """The recorded HAPI rows cut into pages of `size`, as the API serves them."""
    data = json.loads((FIXTURES / "hapi_idps_slice.json").read_text())["data"]
    return [json.dumps({"data": data[i : i + size]}).encode() for i in range(0, len(data), size)]


def hapi_source(base: str, size: int) -> SourceConfig:
    return SourceConfig(
        name="hapi-live",
        kind="hapi-idps",
        location=[base + HAPI],
        params={"location_codes": ["HTI"], "page_size": size},
    )


def test_hapi_pages_with_offset_and_limit_and_retries_a_500(live_env) -> None:
    pages = hapi_pages(5)  # 16 rows: pages of 5, 5, 5 and 1
    replies = [Reply(pages[0]), Reply(b"oops", 500), *map(Reply, pages[1:])]
    with replay_server({HAPI: replies}) as server:
        raws = get_kind("hapi-idps").fetch(hapi_source(server.base_url, 5), live_env)
    asked = [parse_qs(urlsplit(p).query) for p, _ in server.requests]
    assert [q["offset"] for q in asked] == [["0"], ["5"], ["5"], ["10"], ["15"]]
    assert all(q["limit"] == ["5"] and q["location_code"] == ["HTI"] for q in asked)
    assert all(h.get("X-HDX-HAPI-APP-IDENTIFIER") == HAPI_APP for _, h in server.requests)
    assert [len(json.loads(r.read())["data"]) for r in raws] == [5, 5, 5, 1]
    assert all(HAPI_APP not in r.location and "offset=" in r.location for r in raws)


def test_hapi_stops_on_an_empty_page_when_rows_fill_the_last_one(live_env) -> None:
    pages = hapi_pages(8)  # 16 rows: two full pages, then the API returns none
    with replay_server({HAPI: [*map(Reply, pages), Reply(b'{"data": []}')]}) as server:
        raws = get_kind("hapi-idps").fetch(hapi_source(server.base_url, 8), live_env)
    assert len(raws) == 3 and len(server.requests) == 3


def test_hapi_without_an_app_identifier_says_what_to_set(home, monkeypatch) -> None:
    monkeypatch.delenv("SITREP_HAPI_APP_IDENTIFIER", raising=False)
    with pytest.raises(FetchError, match="SITREP_HAPI_APP_IDENTIFIER"):
        get_kind("hapi-idps").fetch(hapi_source("http://127.0.0.1:9", 5), Settings(home=home))


def test_live_hapi_run_loads_every_page_once(prefect_api, live_env, home) -> None:
    with replay_server({HAPI: list(map(Reply, hapi_pages(5)))}) as server:
        run_source(hapi_source(server.base_url, 5), str(home))
    data = json.loads((FIXTURES / "hapi_idps_slice.json").read_text())["data"]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        got = con.execute("SELECT count(*), sum(figure) FROM displacement").fetchone()
        warned = con.execute(
            "SELECT count(*) FROM displacement WHERE json_extract_string(extra, '$.warning') "
            "LIKE 'PCode length%'"
        ).fetchone()[0]
    assert got == (len(data), sum(r["population"] for r in data))
    assert warned == sum(1 for r in data if (r["warning"] or "").startswith("PCode length"))
    assert HAPI_APP not in warehouse_text(home)
