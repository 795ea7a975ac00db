"""RSS 2.0, Atom and ReliefWeb API responses into articles and facts; hostile feeds refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms import reliefweb, rss
from transforms.lineage import Origin
from transforms.parsed import InputError

ROOT = Path(__file__).resolve().parents[2]
FEEDS = ROOT / "tests" / "fixtures" / "feeds"
RSS = ROOT / "data" / "samples" / "feeds" / "displacement-news.rss.xml"
RELIEFWEB = ROOT / "data" / "samples" / "reliefweb" / "reports-cod.json"


def origin(path: Path) -> Origin:
    return Origin("test", str(path), datetime(2025, 3, 30, tzinfo=UTC), "run-1")


def test_rss_items_become_articles_with_dates_language_and_facts() -> None:
    parsed = rss.parse(RSS.read_bytes(), origin(RSS))
    articles = parsed.tables["articles"]
    assert len(articles) == 3 and not parsed.rejects
    first = articles.iloc[0]
    assert first["url"] == "https://news.example.org/2025/03/north-kivu-clashes"
    assert first["publisher"] == "news.example.org"
    assert first["published_at"] == datetime(2025, 3, 24, 9, 30, tzinfo=UTC)
    assert articles.iloc[1]["published_at"] == datetime(2025, 3, 25, 13, 0, tzinfo=UTC)
    assert set(articles["language"]) == {"en"}
    assert first["summary"].startswith("Fighting around Masisi")
    assert "<p>" not in first["body"] and "1,200 households" in first["body"]
    facts = parsed.tables["article_facts"]
    kivu = facts[facts["article_id"] == first["article_id"]].to_dict("records")
    assert [(f["figure"], f["unit"], f["term"], f["admin2_pcode"]) for f in kivu] == [
        (35_000, "people", "displaced", "CD6103"),
        (1_200, "households", "sheltered", "CD6101"),
    ]
    assert kivu[0]["source_record_id"] == f"{first['article_id']}:1"
    assert str(kivu[0]["event_date"]) == "2025-03-21"  # "since Friday", published Monday 24th
    assert not (facts["figure"] == 3).any()  # "Three people were killed"
    assert not (facts["figure"] == 300).any()  # "300 tonnes of food"


def test_atom_entries_take_the_alternate_link_and_updated_date() -> None:
    path = FEEDS / "displacement-news.atom.xml"
    articles = rss.parse(path.read_bytes(), origin(path)).tables["articles"]
    assert list(articles["url"]) == [
        "https://wire.example.net/somalia/beledweyne-floods",
        "https://wire.example.net/somalia/beledweyne-recede",
    ]
    assert articles.iloc[1]["published_at"] == datetime(2025, 3, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-entity-bomb.rss.xml", "refused: the feed declares a DTD or entities"),
        ("bad-not-well-formed.rss.xml", "not well-formed XML"),
        ("bad-unknown-encoding.rss.xml", "cannot decode the feed (unknown encoding"),
    ],
)
def test_hostile_or_broken_feeds_are_refused_naming_the_file(name: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        rss.parse((FEEDS / name).read_bytes(), origin(FEEDS / name))
    assert str(caught.value).startswith(name) and message in str(caught.value)


def test_items_without_a_readable_date_are_rejected_the_rest_kept() -> None:
    path = FEEDS / "bad-missing-date.rss.xml"
    parsed = rss.parse(path.read_bytes(), origin(path))
    assert list(parsed.tables["articles"]["url"]) == ["https://x.example/dated"]
    reasons = [r.reason for r in parsed.rejects["articles"]]
    assert reasons == [
        "bad-missing-date.rss.xml item 2 field pubDate: missing date",
        "bad-missing-date.rss.xml item 3 field pubDate: not a date ('the day after tomorrow-ish')",
    ]


def feed(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link>"
        f"<pubDate>Mon, 24 Mar 2025 09:30:00 +0000</pubDate><description>{d}</description></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{body}</channel></rss>'.encode()


def test_same_url_or_same_text_is_one_article_and_syndicated_copies_share_a_cluster() -> None:
    story = "Floods displaced some 12,000 people in Beledweyne, Hiraan region, on Monday."
    raw = feed(
        ("Floods displace 12,000 in Somalia", "https://a.example/floods", story),
        ("Floods displace 12,000 in Somalia", "https://www.a.example/floods/", story + " More."),
        ("Floods displace 12,000 in Somalia", "https://b.example/x", story),
        ("Somalia: floods displace 12,000", "https://c.example/y", story.replace("some", "about")),
        ("Locust swarms reach Hiraan farms", "https://d.example/z", "Swarms of locusts hit farms."),
    )
    parsed = rss.parse(raw, origin(Path("dupes.xml")))
    articles = parsed.tables["articles"]
    assert list(articles["url"]) == [
        "https://a.example/floods", "https://c.example/y", "https://d.example/z",
    ]  # fmt: skip
    reasons = [r.reason for r in parsed.rejects["articles"]]
    assert len(reasons) == 2 and all("duplicate of article" in r for r in reasons)
    clusters = list(articles["cluster_id"])
    assert clusters[0] == clusters[1] != clusters[2]


def test_reliefweb_reports_use_body_created_date_and_url_alias() -> None:
    parsed = reliefweb.parse(RELIEFWEB.read_bytes(), origin(RELIEFWEB))
    articles = parsed.tables["articles"]
    assert list(articles["language"]) == ["en", "fr"]
    first = articles.iloc[0]
    assert first["url"].endswith("/sample-flash-update-3")
    assert first["published_at"] == datetime(2025, 3, 19, 10, 0, tzinfo=UTC)
    assert first["summary"].startswith("Since 10 March, clashes")
    [fact, households, french] = parsed.tables["article_facts"].to_dict("records")
    assert (fact["iso3"], fact["place_name"], fact["figure"], fact["qualifier"]) == (
        "COD", "Rutshuru", 52_000, "more_than",
    )  # fmt: skip
    assert (households["figure"], households["unit"]) == (3_400, "households")
    assert households["place_name"] == "Masisi"  # its own clause, not the Kiwanja of the other
    # The French report ("Environ 8 000 personnes ont fui ... Kalehe, au Sud-Kivu") is read too.
    assert (french["place_name"], french["admin2_pcode"], french["figure"], french["term"]) == (
        "Kalehe", "CD6205", 8_000, "forced_to_flee",
    )  # fmt: skip
    assert french["qualifier"] == "approximately"


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"<html>", "not valid JSON"), (b'{"error": "x"}', "no 'data' list")],
)
def test_reliefweb_rejects_what_is_not_an_api_response(body: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        reliefweb.parse(body, origin(Path("page.json")))
