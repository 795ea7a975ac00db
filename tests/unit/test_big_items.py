"""Large and hostile article items: linear text paths, and the size limits that cut or quarantine.

No wall-clock assertion: linearity is shown by bounds on the work each step sees (sentence
spans) and by the output of a huge item being the output of its capped prefix.
"""

from __future__ import annotations

import html
import itertools
import json
import random
from datetime import UTC, datetime

import pytest

from transforms import articles, reliefweb, rss
from transforms.extract import extract
from transforms.extract.resolve import ArticlePlaces, Located
from transforms.extract.rows import extract_rows
from transforms.extract.segment import MAX_SENTENCE, sentences
from transforms.html_text import to_text
from transforms.lineage import Origin
from transforms.text_limits import (
    MAX_EXTRACT_CHARS,
    MAX_ITEM_BYTES,
    MAX_TEXT_CHARS,
    truncate,
)

SENTENCES = [
    "Fighting forced more than {n} people to flee {place} on {day} March 2025.",
    "Local authorities said about {n} households were sheltered in schools around {place}.",
    "Aid agencies estimate that {n} residents of {place} have been displaced since February.",
    "Heavy rains destroyed {n} homes in {place}, according to the civil protection office.",
    "Convoys carrying food and water reached {place} after days of negotiation.",
]
PLACES = ["Goma", "Walikale", "Masisi", "Rutshuru", "Beni", "Bukavu", "Uvira"]


def news(chars: int, seed: int = 3, joiner: str = " ") -> str:
    """Paragraphs of news-like sentences about eastern DR Congo, about `chars` long."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    total = 0
    while total < chars:
        para = joiner.join(
            rng.choice(SENTENCES).format(
                n=f"{rng.randint(2, 900) * 100:,}", place=rng.choice(PLACES), day=rng.randint(1, 28)
            )
            for _ in range(4)
        )
        paragraphs.append(para)
        total += len(para) + 2
    return "\n\n".join(paragraphs)


def feed(*descriptions: str) -> bytes:
    """An RSS 2.0 feed with one item per description (HTML paragraphs, escaped)."""
    items = "".join(
        f"<item><title>Item {n}</title><link>https://news.example.org/{n}</link>"
        "<pubDate>Mon, 31 Mar 2025 10:00:00 GMT</pubDate>"
        f"<description>{html.escape(d, quote=False)}</description></item>"
        for n, d in enumerate(descriptions, start=1)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def as_html(text: str) -> str:
    return "".join(f"<p>{p}</p>\n" for p in text.split("\n\n"))


def origin(name: str) -> Origin:
    return Origin("test", f"/data/{name}", datetime(2025, 4, 1, tzinfo=UTC), "run-1")


def fact_rows(parsed: object) -> list[tuple[object, ...]]:
    facts = parsed.tables["article_facts"]  # type: ignore[attr-defined]
    cols = ["fact_no", "figure", "unit", "term", "iso3", "admin2_pcode", "sentence", "event_date"]
    return [tuple(r) for r in facts[cols].itertuples(index=False)]


def test_truncate_cuts_at_a_sentence_end_else_a_word_break() -> None:
    text = "One two three. Four five six. Seven eight nine"
    assert truncate(text, 100) == text
    assert truncate(text, 33) == "One two three. Four five six."
    assert truncate("alpha beta gamma delta", 13) == "alpha beta"
    assert truncate("x" * 50, 20) == "x" * 20


def test_a_one_megabyte_item_gives_the_output_of_its_capped_prefix() -> None:
    text = news(1_000_000)
    parsed = rss.parse(feed(as_html(text)), origin("big.xml"))
    [row] = parsed.tables["articles"].to_dict("records")
    assert not parsed.rejects
    full_body = text.split("\n\n", 1)[1]
    assert row["body"] == truncate(full_body, MAX_TEXT_CHARS)
    assert len(row["body"]) <= MAX_TEXT_CHARS and row["body"].endswith(".")
    read = truncate(f"Item 1\n\n{row['summary']}\n\n{row['body']}", MAX_EXTRACT_CHARS)
    assert parsed.notes == [
        f"big.xml item 1 field body: {len(full_body):,} characters, over the limit of "
        f"{MAX_TEXT_CHARS:,}; kept the first {len(row['body']):,} (cut at a sentence or word "
        "break)",
        f"big.xml item 1 field text: {len(row['summary']) + len(row['body']) + 10:,} characters,"
        f" over the extraction limit of {MAX_EXTRACT_CHARS:,}; facts read from the first "
        f"{len(read):,}",
    ]
    # The same item holding only what extraction read: the same facts, and nothing to note.
    prefix = rss.parse(feed(as_html(read.removeprefix("Item 1\n\n"))), origin("big.xml"))
    assert prefix.notes == []
    assert len(fact_rows(parsed)) > 500
    assert fact_rows(prefix) == fact_rows(parsed)


def test_an_item_over_the_item_limit_is_quarantined_naming_file_item_and_field() -> None:
    small = "About 7,000 people were displaced in Walikale, Nord-Kivu, on 3 March 2025."
    huge = news(MAX_ITEM_BYTES + 10_000)
    parsed = rss.parse(feed(small, huge), origin("feed.xml"))
    assert len(parsed.tables["articles"]) == 1
    [reject] = parsed.rejects["articles"]
    assert reject.row_no == 2 and reject.source_record_id == "https://news.example.org/2"
    assert reject.reason.startswith(
        f"feed.xml item 2 field description: {len(huge.encode()):,} bytes (item "
    )
    assert reject.reason.endswith(
        f"over the item limit of {MAX_ITEM_BYTES:,} bytes; item quarantined"
    )
    assert len(reject.as_row()["record"]) < 5_000  # the quarantined record is clipped


def test_a_reliefweb_report_over_the_item_limit_is_quarantined() -> None:
    body = as_html(news(MAX_ITEM_BYTES + 1_000))
    report = {"id": 7, "fields": {"title": "Flash update", "body-html": body}}
    raw = json.dumps({"data": [report]}).encode()
    parsed = reliefweb.parse(raw, origin("reports.json"))
    [reject] = parsed.rejects["articles"]
    assert reject.reason.startswith("reports.json report 1 field body-html: ")
    assert reject.reason.endswith("item quarantined") and reject.source_record_id == "7"
    assert len(parsed.tables["articles"]) == 0


def test_an_article_file_over_the_item_limit_is_quarantined() -> None:
    text = f"{news(MAX_ITEM_BYTES + 1_000)}\nOriginal Source: https://news.example.org/x\n"
    parsed = articles.parse(text.encode(), origin("long.txt"))
    [reject] = parsed.rejects["articles"]
    assert reject.reason == (
        f"long.txt field text: {len(text.encode()):,} bytes, over the item limit of "
        f"{MAX_ITEM_BYTES:,} bytes; article quarantined"
    )


def test_a_long_run_on_sentence_is_read_in_bounded_spans() -> None:
    run_on = news(200_000, joiner=", and ").replace(".\n\n", ", and ").replace(".,", ",")
    spans = list(sentences(run_on))
    assert max(end - start for start, end in spans) <= MAX_SENTENCE
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # no overlap
    assert sum(end - start for start, end in spans) >= len(run_on) * 0.99  # nothing skipped
    facts = extract(run_on)
    assert {f.term for f in facts} >= {"displaced", "destroyed_housing"}


@pytest.mark.parametrize(
    ("unit", "count"),
    [("a <b", 20_000), ("</ ", 20_000), ("<![", 20_000), ("<a x='", 20_000), ("&#", 20_000)],
)
def test_html_text_reads_unclosed_markup_as_text(unit: str, count: int) -> None:
    fragment = unit * count
    text = to_text("<p>" + fragment)
    assert text == " ".join(html.unescape(fragment).split())


def test_html_text_keeps_quoted_attributes_and_skips_scripts() -> None:
    fragment = "<p>Before <a href='x>y'>link</a></p><script>var s = '<p>no</p>';</script>After"
    assert to_text(fragment) == "Before link\n\nAfter"
    assert to_text("<div>a<!-- never closed <p>b") == "a"


def test_whitespace_runs_do_not_split_or_stall_sentences() -> None:
    text = "Some 300 people fled Goma." + "\u2003" * 50_000 + "Another 400 fled Masisi."
    assert [text[s:e].strip() for s, e in sentences(text)] == [
        "Some 300 people fled Goma.",
        "Another 400 fled Masisi.",
    ]


def test_hundreds_of_digits_are_not_a_figure_and_do_not_fail_the_item() -> None:
    assert extract("1" + "0" * 400 + " people were displaced in Goma.") == []
    assert extract("1" + " 000" * 200 + " people were displaced in Goma.") == []
    parsed = rss.parse(feed("9" * 500 + " people were displaced in Goma."), origin("d.xml"))
    assert len(parsed.tables["articles"]) == 1 and not parsed.rejects


def test_source_line_after_a_long_run_of_spaces() -> None:
    row = articles.article_row("Summary.\nOriginal Source: a" + " " * 50_000 + "b", "f.txt")
    assert row["url"] == "a" + " " * 50_000 + "b"


def test_places_within_a_span_are_those_of_a_full_scan() -> None:
    rng = random.Random(5)
    places = ArticlePlaces()
    for _ in range(2_000):
        start = rng.randint(0, 100_000)
        places.located.append(Located(start, start + rng.randint(1, 30), "x", "COD"))
    places.located.sort(key=lambda p: p.start)
    for _ in range(200):
        a = rng.randint(0, 100_000)
        b = a + rng.randint(0, 3_000)
        assert places.within(a, b) == [p for p in places.located if a <= p.start and p.end <= b]


def test_extract_rows_reads_a_capped_prefix_and_says_so() -> None:
    text = news(300_000)
    notes: list[str] = []
    rows = list(extract_rows([{"id": "big", "t": text}], "t", "id", notes))
    capped = truncate(text, MAX_EXTRACT_CHARS)
    assert rows == list(extract_rows([{"id": "big", "t": capped}], "t", "id"))
    assert notes == [
        f"row 1 (id big) field t: {len(text):,} characters, over the extraction limit of "
        f"{MAX_EXTRACT_CHARS:,}; facts read from the first {len(capped):,}"
    ]
