"""Template filters of the report: numbers, dates, safe links and Markdown escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$")
QUALIFIERS = {
    "more_than": "more than",
    "less_than": "less than",
    "up_to": "up to",
    "approximately": "about",
    "exact": "",
}
FLAGS = {
    "not_in_statistics": "no official figure for this place",
    "other_unit_only": "official figure only in another unit (not compared)",
    "differs": "differs from the official figure beyond the set factor",
    "consistent": "consistent with the official figure",
    "no_news": "no news figure",
}


def number(value: Any) -> str:
    """12345 -> '12,345'; nothing -> an em dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def day(value: Any) -> str:
    """A date or timestamp as YYYY-MM-DD; nothing -> an em dash."""
    if value is None:
        return "—"
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)[:10]


def href(url: Any) -> str | None:
    """A link target only for http(s) URLs or bare host names; None for anything else."""
    if not url:
        return None
    text = str(url).strip()
    if HOST.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(text, safe=":/?#[]@!$&'*+,;=%-._~")


def md(value: Any) -> str:
    """Text safe inside Markdown (tables, links) and the HTML a Markdown viewer makes of it."""
    if value is None:
        return "—"
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MD_SPECIAL.sub(r"\\\1", text)


def qualified(row: dict[str, Any], prefix: str = "") -> str:
    """'more than 7,000,000 people' from a figure, its qualifier and unit (`prefix` + name)."""
    qualifier = row.get(f"{prefix}qualifier") or ""
    words = QUALIFIERS.get(qualifier, qualifier)
    figure = number(row.get(f"{prefix}figure"))
    return " ".join(w for w in (words, figure, row.get(f"{prefix}unit") or row.get("unit")) if w)


def change(row: dict[str, Any], prefix: str = "") -> str:
    """'+20,257 (+4.7 %)' from a row's change and change_pct; an em dash without one."""
    value = row.get(f"{prefix}change")
    if value is None:
        return "—"
    pct = row.get(f"{prefix}change_pct")
    text = f"{value:+,}"
    return text + (f" ({pct:+.1f} %)" if pct is not None else "")


def flag_text(flag: Any) -> str:
    """A news-vs-official flag in words."""
    return FLAGS.get(str(flag), str(flag))


FILTERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "day": day,
    "href": href,
    "md": md,
    "qualified": qualified,
    "flag_text": flag_text,
    "change": change,
}
