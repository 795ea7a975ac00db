"""The seed article format: summary, body, `Original Source:` line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms import articles
from transforms.lineage import Origin

SEED = Path(__file__).resolve().parents[2] / "data" / "samples" / "articles" / "walikale.txt"


def origin(name: str = "walikale.txt") -> Origin:
    return Origin("article-files", f"/data/{name}", datetime(2026, 1, 1, tzinfo=UTC), "run-1")


def test_seed_article_parses_into_one_row() -> None:
    parsed = articles.parse(SEED.read_bytes(), origin())
    [row] = parsed.tables["articles"].to_dict("records")
    assert row["url"] == "www.2news.com"
    assert row["publisher"] == "2news.com"
    assert row["summary"].startswith("Rwanda-backed M23 rebels have advanced into")
    assert "displacing over 7 million individuals" in row["body"]
    assert "Original Source" not in row["body"]
    assert row["body"].count("\n\n") == 5  # six body paragraphs
    assert row["title"].endswith("dismissing calls for a ceasefire.")
    assert row["source_record_id"] == row["article_id"]
    assert row["source_url"] == "/data/walikale.txt"
    assert not parsed.rejects


def test_article_id_is_stable_and_depends_on_content_when_only_a_host_is_known() -> None:
    first = articles.parse(SEED.read_bytes(), origin()).tables["articles"]
    again = articles.parse(SEED.read_bytes(), origin("copy.txt")).tables["articles"]
    assert first["article_id"][0] == again["article_id"][0]
    edited = SEED.read_bytes().replace(b"Walikale", b"Masisi", 1)
    other = articles.parse(edited, origin()).tables["articles"]
    assert other["article_id"][0] != first["article_id"][0]


def test_article_id_follows_the_canonical_url_when_the_source_names_a_page() -> None:
    text = (
        b"A summary paragraph that is long enough.\nBody.\nOriginal Source: https://www.x.org/a/1/"
    )
    a = articles.parse(text, origin()).tables["articles"]["article_id"][0]
    b = articles.parse(text.replace(b"Body.", b"Body, edited."), origin()).tables["articles"]
    assert b["article_id"][0] == a  # same page, revised text: same article


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", "empty article file"),
        (b"Only a summary.\nAnd a body without the source line.", "line 2 field 'Original Source'"),
        (b"Original Source: www.x.org", "no summary paragraph"),
    ],
)
def test_malformed_files_are_rejected_with_a_reason(text: bytes, expected: str) -> None:
    parsed = articles.parse(text, origin("bad.txt"))
    assert "articles" not in parsed.tables
    [reject] = parsed.rejects["articles"]
    assert expected in reject.reason
    assert reject.reason.startswith("bad.txt")
    assert reject.record["file"] == "/data/bad.txt"


def test_cp1252_and_mojibake_are_repaired() -> None:
    text = "Summary with a \u201cquote\u201d here.\nBody.\nOriginal Source: www.x.org"
    from_cp1252 = articles.parse(text.encode("cp1252"), origin()).tables["articles"]
    assert from_cp1252["summary"][0] == "Summary with a \u201cquote\u201d here."
    quoted = "The group\u2019s advance displaced thousands.\nBody.\nOriginal Source: www.x.org"
    mojibake = quoted.encode("utf-8").decode("cp1252").encode("utf-8")  # "groupâ€™s"
    repaired = articles.parse(mojibake, origin()).tables["articles"]
    assert repaired["summary"][0] == "The group\u2019s advance displaced thousands."


def test_seed_article_places_walikale_most_mentioned() -> None:
    places = articles.parse(SEED.read_bytes(), origin()).tables["article_places"]
    top = places.iloc[0]
    assert (top["place_no"], top["place_name"], top["iso3"]) == (1, "Walikale", "COD")
    assert (top["admin1_pcode"], top["admin2_pcode"]) == ("CD61", "CD6104")
    assert top["mentions"] == places["mentions"].max() > places["mentions"].iloc[1]
    assert list(places["place_no"]) == list(range(1, len(places) + 1))
    assert set(places["source_record_id"]) >= {f"{top['article_id']}:place:1"}
    assert places["source"].eq("article-files").all()
