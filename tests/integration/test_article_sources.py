"""RSS and ReliefWeb from live URLs on a loopback replay server; incremental second runs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from flows.fetch import FetchError
from flows.pipeline import run_source
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind
from tests.replay import Reply, replay_server
from transforms import rss
from transforms.lineage import Origin

ROOT = Path(__file__).resolve().parents[2]
RSS = (ROOT / "data" / "samples" / "feeds" / "displacement-news.rss.xml").read_bytes()
REPORTS = json.loads((ROOT / "data" / "samples" / "reliefweb" / "reports-cod.json").read_text())


def page(index: int, total: int) -> bytes:
    """One page holding the sample's report `index`, in an envelope counting `total`."""
    return json.dumps({**REPORTS, "count": 1, "totalCount": total,
                       "data": [REPORTS["data"][index]]}).encode()  # fmt: skip


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    monkeypatch.setenv("SITREP_RELIEFWEB_APPNAME", "sitrep-tests")
    monkeypatch.setenv("SITREP_ALLOWED_HOSTS", "127.0.0.1")  # the loopback test server
    monkeypatch.setenv("SITREP_HTTP_RETRIES", "2")
    monkeypatch.setenv("SITREP_HTTP_BACKOFF", "0.05")
    return Settings(home=home)


def test_reliefweb_pages_by_offset_with_appname_country_and_date(settings) -> None:
    with replay_server(
        {"/v1/reports": [Reply(page(0, 2)), Reply(b"busy", 503), Reply(page(1, 2))]}
    ) as srv:
        source = SourceConfig(
            name="rw", kind="reliefweb", location=[f"{srv.base_url}/v1/reports"],
            params={"countries": ["COD"], "since": "2025-03-01", "limit": 1},
        )  # fmt: skip
        raws = get_kind("reliefweb").fetch(source, settings)
    asked = [parse_qs(urlsplit(path).query) for path, _ in srv.requests]
    assert [q["offset"] for q in asked] == [["0"], ["1"], ["1"]]  # the 503 is retried
    assert all(q["appname"] == ["sitrep-tests"] for q in asked)
    assert asked[0]["filter[conditions][0][value]"] == ["cod"]
    assert asked[0]["filter[conditions][1][value][from]"] == ["2025-03-01T00:00:00+00:00"]
    assert len(raws) == 2 and all("appname" not in r.location for r in raws)


def test_reliefweb_live_without_an_appname_says_what_to_set(home: Path) -> None:
    source = SourceConfig(name="rw", kind="reliefweb", location=["http://127.0.0.1:9/v1/reports"],
                          params={"countries": ["COD"]})  # fmt: skip
    with pytest.raises(FetchError, match="SITREP_RELIEFWEB_APPNAME"):
        get_kind("reliefweb").fetch(source, Settings(home=home))


def test_rss_second_run_reads_nothing_until_the_feed_has_a_new_item(
    prefect_api, settings, home
) -> None:
    newer = RSS.replace(b"Wed, 26 Mar 2025", b"Fri, 28 Mar 2025")
    routes = {"/feed.xml": [Reply(RSS), Reply(RSS), Reply(newer)]}
    with replay_server(routes) as srv:
        source = SourceConfig(name="feeds", kind="rss", location=[f"{srv.base_url}/feed.xml"])
        first = run_source(source, str(home))
        assert get_kind("rss").fetch(source, settings) == []  # unchanged: nothing to read
        again = run_source(source, str(home))
    loaded = {t.table: t.rows_loaded for t in first.tables}
    assert loaded["articles"] == 3 and loaded["article_facts"] == 5
    assert loaded["article_places"] >= 3  # every article names at least one place
    assert {t.table: t.rows_loaded for t in again.tables} == loaded  # the new item's feed, whole
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*), count(distinct article_id) from articles").fetchone()
        facts = con.execute(
            "select iso3, admin2_pcode, figure, term from article_facts where figure = 35000"
        ).fetchall()
        places = con.execute(
            "select count(*), count(distinct article_id), min(mentions) from article_places"
        ).fetchone()
    assert rows == (3, 3)  # upserted by article id, no duplicates
    assert places == (loaded["article_places"], 3, 1)  # replaced per article on the reload
    assert facts == [("COD", "CD6103", 35000, "displaced")]


def test_a_feed_bomb_fails_its_source_with_the_reason_and_loads_nothing(
    prefect_api, settings, home
) -> None:
    bomb = (ROOT / "tests" / "fixtures" / "feeds" / "bad-entity-bomb.rss.xml").read_bytes()
    with replay_server({"/bomb.xml": [Reply(bomb)]}) as srv:
        source = SourceConfig(name="feeds", kind="rss", location=[f"{srv.base_url}/bomb.xml"])
        state = run_source(source, str(home), return_state=True)
    assert state.is_failed()
    assert "refused: the feed declares a DTD or entities" in str(state.message)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone() == (0,)
        [(reason,)] = con.execute("select reason from quarantine").fetchall()
    assert "bomb.xml" in reason


PAGE = b"""<html><head><title>Floods in Chad</title></head><body><nav>Home | World</nav>
<article><h1>Floods in Chad leave families homeless</h1>
<p>Heavy rain in Chad's Logone Oriental province destroyed more than 2,000 houses.</p>
<p>In Moundou, about 4,500 people were sheltering in schools on Wednesday, officials said.</p>
</article><footer>All rights reserved</footer></body></html>"""


def test_summary_only_items_get_their_page_text_when_fetch_pages_is_on(
    monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    monkeypatch.setenv("SITREP_FETCH_PAGES", "true")
    with replay_server({"/chad": [Reply(PAGE)], "/walikale": [Reply(b"gone", 404)]}) as srv:
        feed = RSS.replace(
            b"https://news.example.org/2025/03/chad-floods", f"{srv.base_url}/chad".encode()
        )
        feed = feed.replace(
            b"https://news.example.org/2025/03/walikale-convoy", f"{srv.base_url}/walikale".encode()
        )
        srv.routes["/feed.xml"] = [Reply(feed)]
        source = SourceConfig(name="feeds", kind="rss", location=[f"{srv.base_url}/feed.xml"])
        [raw] = get_kind("rss").fetch(source, Settings(home=settings.home))
    assert sorted(path for path, _ in srv.requests) == ["/chad", "/feed.xml", "/walikale"]
    parsed = rss.parse(raw.read(), Origin("feeds", raw.location, raw.retrieved_at, "run-1"))
    articles = parsed.tables["articles"].set_index("title")
    chad = articles.loc["Floods in Chad leave families homeless"]
    assert "about 4,500 people were sheltering in schools" in chad["body"]
    assert "All rights reserved" not in chad["body"]
    convoy = articles.loc["Aid convoy reaches Walikale"]
    assert convoy["summary"].startswith("A convoy carrying 300 tonnes")  # page 404: summary kept
    facts = parsed.tables["article_facts"]
    assert ((facts["figure"] == 4_500) & (facts["term"] == "sheltered")).any()


def test_a_large_feed_item_is_cut_and_an_oversize_one_quarantined(
    prefect_api, home, caplog
) -> None:
    from transforms.text_limits import MAX_ITEM_BYTES, MAX_TEXT_CHARS

    sentence = "Fighting forced more than 4,500 people to flee Masisi on 3 March 2025. "
    long_html = "".join(f"<p>{sentence * 6}</p>" for _ in range(1_000_000 // 430))
    huge_html = "<p>" + sentence * (MAX_ITEM_BYTES // len(sentence) + 10) + "</p>"
    items = "".join(
        f"<item><title>Item {n}</title><link>https://news.example.org/{n}</link>"
        f"<pubDate>Mon, 31 Mar 2025 10:00:00 GMT</pubDate><description>{text}</description></item>"
        for n, text in ((1, long_html.replace("<", "&lt;")), (2, huge_html.replace("<", "&lt;")))
    )
    feed = home / "big.xml"
    feed.parent.mkdir(parents=True, exist_ok=True)
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>')
    source = SourceConfig(name="big", kind="rss", location=[str(feed)])
    with caplog.at_level("WARNING"):
        outcome = run_source(source, str(home))
    counts = {t.table: (t.rows_in, t.rows_loaded, t.rows_quarantined) for t in outcome.tables}
    assert counts["articles"] == (2, 1, 1)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        [(body_chars,)] = con.execute("select length(body) from articles").fetchall()
        [(reason,)] = con.execute("select reason from quarantine").fetchall()
    assert 0.9 * MAX_TEXT_CHARS < body_chars <= MAX_TEXT_CHARS
    assert reason.startswith("big.xml item 2 field description: ")
    assert reason.endswith("item quarantined")
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("big.xml item 1 field body: " in m and "kept the first" in m for m in warned)
