"""One fetch model: one description per live API, one mark store, one owner of retries."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from flows.live_api import LiveApi
from flows.pipeline import PipelineFailedError, pipeline, run_source
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind, registry
from tests.replay import Reply, replay_server

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "data" / "samples"
# A URL of each live API, as a config would give it.
LIVE_URLS = {
    "dtm": "https://dtmapi.iom.int/v3/displacement",
    "hapi-idps": "https://hapi.humdata.org/api/v2/affected-people/idps",
    "idmc-idu": "https://helix-tools-api.idmcdb.org/external-api/idus/last-180-days/",
    "idmc-gidd": "https://helix-tools-api.idmcdb.org/external-api/gidd/conflicts/?limit=100",
    "reliefweb": "https://api.reliefweb.int/v1/reports",
    "unhcr": "https://api.unhcr.org/population/v1/population/?coa_all=true",
}
DTM_LEVELS = {0: "dtm_api_admin0_hti_slice.json", 1: "dtm_api_admin1_hti_slice.json"}


def live_apis() -> dict[str, LiveApi]:
    """The LiveApi of every kind that has one."""
    return {name: kind.live for name, kind in registry().items() if kind.live is not None}


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    monkeypatch.setenv("SITREP_DTM_SUBSCRIPTION_KEY", "dtm-key-0b5e77")
    monkeypatch.setenv("SITREP_HAPI_APP_IDENTIFIER", "hapi-app-4d1c0e")
    monkeypatch.setenv("SITREP_RELIEFWEB_APPNAME", "rw-app-9a3f12")
    monkeypatch.setenv("SITREP_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SITREP_HTTP_RETRIES", "2")
    monkeypatch.setenv("SITREP_HTTP_BACKOFF", "0.01")
    return Settings(home=home)


def test_each_live_api_is_described_once_and_recognises_only_its_own_locations() -> None:
    apis = live_apis()
    assert sorted(apis) == sorted(LIVE_URLS)
    for kind, api in apis.items():
        claimed = [other for other, url in LIVE_URLS.items() if api.is_live(url)]
        assert claimed == [kind], f"{kind} recognises the URLs of {claimed}"
        for plain in (
            str(SAMPLES / "dtm" / "displacement-admin0-tcd.json"),
            "https://data.humdata.org/dataset/x/resource/y/download/idps.csv",
            "https://dtmapi.iom.int/v3/displacement/admin0?CountryName=Chad",
        ):
            assert not api.is_live(plain), f"{kind} takes {plain} for its live API"


def newest(field: str, *bodies: Path, records: str) -> str:
    return max(str(row[field]) for b in bodies for row in json.loads(b.read_text())[records])


def test_dtm_and_hapi_fetches_carry_their_high_water_marks(live: Settings) -> None:
    dtm_files = [FIXTURES / f for f in DTM_LEVELS.values()]
    hapi = FIXTURES / "hapi_idps_slice.json"
    levels = zip(DTM_LEVELS, dtm_files, strict=True)
    routes = {f"/v3/displacement/admin{n}": [Reply(p.read_bytes())] for n, p in levels}
    routes["/api/v2/affected-people/idps"] = [Reply(hapi.read_bytes())]
    with replay_server(routes) as srv:
        dtm = SourceConfig(name="d", kind="dtm", location=[f"{srv.base_url}/v3/displacement"],
                           params={"countries": ["HTI"], "admin_levels": [0, 1]})  # fmt: skip
        hapi_url = f"{srv.base_url}/api/v2/affected-people/idps"
        hapi_source = SourceConfig(name="h", kind="hapi-idps", location=[hapi_url])
        dtm_raws = get_kind("dtm").fetch(dtm, live)
        hapi_raws = get_kind("hapi-idps").fetch(hapi_source, live)
    assert len(dtm_raws) == 2 and len(hapi_raws) == 1
    assert json.loads(dtm_raws[-1].watermark) == {
        dtm.location[0]: {"reportingDate": newest("reportingDate", *dtm_files, records="result")}
    }
    assert json.loads(hapi_raws[-1].watermark) == {
        hapi_source.location[0]: {
            "reference_period_start": newest("reference_period_start", hapi, records="data")
        }
    }


def stored_marks(home: Path) -> dict[str, dict]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT source, value FROM source_watermarks").fetchall()
    return {source: json.loads(value) for source, value in rows}


def test_every_incremental_kind_keeps_its_mark_in_the_one_store(
    prefect_api, live: Settings, home: Path
) -> None:
    feed = SAMPLES / "feeds" / "displacement-news.rss.xml"
    reports = SAMPLES / "reliefweb" / "reports-cod.json"
    dtm = FIXTURES / DTM_LEVELS[0]
    routes = {
        "/v3/displacement/admin0": [Reply(dtm.read_bytes())],
        "/v1/reports": [Reply(reports.read_bytes())],
    }
    with replay_server(routes) as srv:
        sources = [
            SourceConfig(name="dtm-live", kind="dtm", location=[f"{srv.base_url}/v3/displacement"],
                         params={"countries": ["HTI"], "admin_levels": [0]}),
            SourceConfig(name="rw-live", kind="reliefweb", location=[f"{srv.base_url}/v1/reports"],
                         params={"countries": ["COD"], "limit": 100}),
            SourceConfig(name="feed", kind="rss", location=[str(feed)]),
        ]  # fmt: skip
        for source in sources:
            assert run_source(source, str(home)).status == "loaded"
    marks = stored_marks(home)
    assert set(marks) == {"dtm-live", "rw-live", "feed"}
    assert marks["dtm-live"][sources[0].location[0]]["reportingDate"] == newest(
        "reportingDate", dtm, records="result"
    )
    created = [r["fields"]["date"]["created"] for r in json.loads(reports.read_text())["data"]]
    assert marks["rw-live"][sources[1].location[0]]["fields.date.created"] == max(created)
    assert set(marks["feed"]) == {str(feed)} and marks["feed"][str(feed)]["published_at"]


def test_a_failing_url_is_asked_once_per_try_of_the_one_retry_policy(
    prefect_api, live: Settings, home: Path
) -> None:
    with replay_server({"/dtm.json": [Reply(b"down", 503)]}) as srv:
        source = SourceConfig(name="down", kind="dtm", location=[f"{srv.base_url}/dtm.json"])
        state = pipeline([source], str(home), return_state=True)
    assert state.is_failed()
    with pytest.raises(PipelineFailedError, match="HTTP 503"):
        state.result()
    asked = [urlsplit(path).path for path, _ in srv.requests]
    # No task retry and no second fetch by the source's subflow: the HTTP policy alone.
    assert asked == ["/dtm.json"] * (live.http_retries + 1)


def test_an_upgraded_warehouse_seeds_article_marks_from_its_newest_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import db

    every = db.migrations()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    monkeypatch.setattr(db, "migrations", lambda: [m for m in every if m[0] < 8])
    db.migrate(con)  # a warehouse from before the one mark store
    runs = [("r1", "feeds", "rss"), ("r2", "rw", "reliefweb"), ("r3", "old", "article-files")]
    for run, source, kind in runs:
        con.execute(
            "INSERT INTO load_runs (load_run_id, source, kind, started_at, status) "
            "VALUES (?, ?, ?, now(), 'loaded')",
            [run, source, kind],
        )
    articles = [
        ("a1", "feeds", "https://f.example/feed.xml", "2025-03-26 10:00:00+00"),
        ("a2", "feeds", "https://f.example/feed.xml", "2025-03-28 09:30:00+00"),
        ("a3", "rw", "https://api.example/v1/reports?offset=0&limit=1", "2025-03-02 08:00:00+00"),
        ("a4", "old", "/data/a.txt", "2025-03-01 00:00:00+00"),
    ]
    for article_id, source, url, published in articles:
        con.execute(
            "INSERT INTO articles (article_id, source, source_record_id, source_url, "
            "published_at) VALUES (?, ?, ?, ?, ?::TIMESTAMPTZ)",
            [article_id, source, article_id, url, published],
        )
    monkeypatch.setattr(db, "migrations", lambda: every)
    db.migrate(con)
    rows = con.execute("SELECT source, value FROM source_watermarks").fetchall()
    marks = {source: json.loads(value) for source, value in rows}
    con.close()
    feed, reports = "https://f.example/feed.xml", "https://api.example/v1/reports"
    assert marks == {
        "feeds": {feed: {"published_at": "2025-03-28T09:30:00+00:00"}},
        "rw": {reports: {"fields.date.created": "2025-03-02T08:00:00+00:00"}},
    }
