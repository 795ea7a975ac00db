"""The report's template filters: safe links, Markdown escaping, figures in words."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from warehouse.report_format import day, href, md, number, qualified


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("www.2news.com", "https://www.2news.com"),
        ("http://example.org/x y", "http://example.org/x%20y"),
        ('https://example.org/"onmouseover="alert(1)', "https://example.org/%22onmouseover=%22alert%281%29"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD4=", None),
        ("/etc/passwd", None),
        ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_href_links_only_http(url: str | None, link: str | None) -> None:
    assert href(url) == link


def test_md_escapes_markdown_and_html() -> None:
    assert md("a|b [x](javascript:y) <script>") == (r"a\|b \[x\]\(javascript:y\) &lt;script&gt;")
    assert md("two\nlines") == "two lines"
    assert md(None) == "—"


def test_numbers_dates_and_qualified_figures() -> None:
    assert number(7_000_000) == "7,000,000"
    assert number(None) == "—"
    assert number(1.71428) == "1.71"
    assert day(datetime(2024, 7, 2, 13, 5, tzinfo=UTC)) == "2024-07-02"
    assert day(date(2024, 7, 2)) == "2024-07-02"
    fact = {"figure": 7_000_000, "qualifier": "more_than", "unit": "people"}
    assert qualified(fact) == "more than 7,000,000 people"
    news = {"news_figure": 800, "news_qualifier": "exact", "unit": "households"}
    assert qualified(news, "news_") == "800 households"
