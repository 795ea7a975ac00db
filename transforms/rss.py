"""RSS 2.0 and Atom feeds into `articles` rows and their facts, parsed without DTDs or entities."""

from __future__ import annotations

import base64
import json
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from transforms.article_table import article, build, title_from
from transforms.html_text import to_text
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed, Reject
from transforms.readers import json_body
from transforms.sniff import UTF16_BOMS, refuse_nul
from transforms.text_limits import clipped, oversize_reason

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"


def parse(raw: bytes, origin: Origin) -> Parsed:
    """Every item of the feed; an item without a link, text or a readable date is rejected, and
    so is one over MAX_ITEM_BYTES (its record clipped).

    `raw` is a feed, or a bundle of a feed with the pages of its summary-only items.
    """
    raw, pages = unbundle(raw, origin.name)
    root = feed_root(raw, origin.name)
    entries = items(root, origin.name)
    names = RSS_FIELDS if root.tag == "rss" else ATOM_FIELDS
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for n, entry in enumerate(entries, start=1):
        where = f"{origin.name} item {n}"
        too_big = oversize_reason(where, {names[k]: v for k, v in entry.items()})
        if too_big:
            rejects.append(Reject(n, too_big, clipped(entry), entry.get("link") or None))
            continue
        if entry["link"] in pages:
            entry = {**entry, "content": page_text(pages[entry["link"]]) or entry["content"]}
        try:
            rows.append(item_row(entry, where))
        except ValueError as exc:
            rejects.append(Reject(n, str(exc), entry, entry.get("link") or None))
    return build(rows, origin, rejects)


# The feed's own names of an item's fields, for the reasons of rejected items.
RSS_FIELDS = {
    "title": "title", "link": "link", "date": "pubDate", "summary": "description",
    "content": "content:encoded",
}  # fmt: skip
ATOM_FIELDS = {
    "title": "title", "link": "link", "date": "published", "summary": "summary",
    "content": "content",
}  # fmt: skip


def feed_root(raw: bytes, name: str) -> Element:
    """The parsed document; InputError for a DTD or entity (bombs), bad XML, unknown encoding."""
    try:
        return fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"{name}: refused: the feed declares a DTD or entities ({type(exc).__name__}); "
            "sitrep never expands XML entities"
        ) from exc
    except ParseError as exc:
        if not raw.startswith(UTF16_BOMS):  # UTF-16 XML holds NULs
            refuse_nul(raw, name)
        raise InputError(f"{name}: not well-formed XML ({exc})") from exc
    except (LookupError, ValueError) as exc:  # an encoding Python does not know
        raise InputError(f"{name}: cannot decode the feed ({exc})") from exc


def items(root: Element, name: str) -> list[dict[str, str]]:
    """The feed's items as plain fields: title, link, date, summary and content (HTML)."""
    if root.tag == "rss":
        return [rss_item(e) for e in root.iterfind("channel/item")]
    if root.tag == f"{ATOM}feed":
        return [atom_entry(e) for e in root.iterfind(f"{ATOM}entry")]
    raise InputError(f"{name}: not an RSS 2.0 or Atom feed (root element <{root.tag}>)")


def rss_item(e: Element) -> dict[str, str]:
    """Fields of an RSS 2.0 <item>."""
    guid = _text(e, "guid")
    link = _text(e, "link") or (guid if guid.startswith("http") else "")
    return {
        "title": _text(e, "title"),
        "link": link,
        "date": _text(e, "pubDate") or _text(e, DC_DATE),
        "summary": _text(e, "description"),
        "content": _text(e, CONTENT),
    }


def atom_entry(e: Element) -> dict[str, str]:
    """Fields of an Atom <entry>; the alternate link is the article's address."""
    links = e.findall(f"{ATOM}link")
    alternate = [x for x in links if x.get("rel", "alternate") == "alternate"] or links
    return {
        "title": _text(e, f"{ATOM}title"),
        "link": (alternate[0].get("href") or "") if alternate else "",
        "date": _text(e, f"{ATOM}published") or _text(e, f"{ATOM}updated"),
        "summary": _text(e, f"{ATOM}summary"),
        "content": _text(e, f"{ATOM}content"),
    }


def _text(e: Element, path: str) -> str:
    found = e.find(path)
    return (found.text or "").strip() if found is not None else ""


def item_row(entry: dict[str, str], where: str) -> dict[str, Any]:
    """An item as an article row; ValueError naming the item and field when it cannot be one."""
    if not entry["link"]:
        raise ValueError(f"{where} field link: missing (no link or permalink guid)")
    published = parse_date(entry["date"], where)
    summary_text = to_text(entry["summary"])
    body = to_text(entry["content"]) or summary_text
    paragraphs = body.split("\n\n")
    summary = summary_text.split("\n\n")[0] if summary_text else paragraphs[0]
    if body.startswith(summary):
        body = "\n\n".join(paragraphs[1:]) if summary == paragraphs[0] else body
    title = to_text(entry["title"]) or title_from(summary)
    if not (summary or title):
        raise ValueError(f"{where} field description: no title, summary or content")
    return article(entry["link"], title, summary or title, body, published)


def parse_date(value: str, where: str) -> pd.Timestamp:
    """RFC 822 (RSS) or ISO 8601 (Atom) date as UTC; ValueError when missing or unreadable."""
    if not value:
        raise ValueError(f"{where} field pubDate: missing date")
    try:
        stamp = pd.Timestamp(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        stamp = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601")
    if pd.isna(stamp):
        raise ValueError(f"{where} field pubDate: not a date ({value[:40]!r})")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


BUNDLE = b'{"sitrep_feed_bundle"'
SHORT_SUMMARY = 400  # characters: shorter summaries without content are worth the page


def bundle(feed: bytes, pages: dict[str, bytes]) -> bytes:
    """A feed and the pages fetched for it, as one input for `parse`."""
    encoded = {link: base64.b64encode(html).decode() for link, html in pages.items()}
    doc = {"sitrep_feed_bundle": 1, "feed": base64.b64encode(feed).decode(), "pages": encoded}
    return json.dumps(doc).encode()  # the marker key first: `unbundle` looks for it


def unbundle(raw: bytes, name: str) -> tuple[bytes, dict[str, bytes]]:
    """The feed and its pages from a bundle; a plain feed comes back with no pages."""
    if not raw.startswith(BUNDLE):
        return raw, {}
    doc = json_body(raw, name)
    try:
        pages = {k: base64.b64decode(v) for k, v in doc["pages"].items()}
        return base64.b64decode(doc["feed"]), pages
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{name}: damaged feed bundle ({exc})") from exc


def summary_only(raw: bytes) -> list[str]:
    """Links of the items that carry no content and a short summary: pages worth fetching."""
    return [
        e["link"]
        for e in items(feed_root(raw, "feed"), "feed")
        if e["link"].startswith("http") and not e["content"]
        and len(to_text(e["summary"])) < SHORT_SUMMARY
    ]  # fmt: skip


def page_text(html: bytes) -> str:
    """The main text of an article page (trafilatura), paragraphs kept; empty when none."""
    import trafilatura  # about 2 s to import; only when pages were fetched

    text = trafilatura.extract(html.decode("utf-8", "replace"), favor_recall=True) or ""
    return "\n\n".join(p.strip() for p in text.splitlines() if p.strip())


def newest(raw: bytes) -> list[tuple[str, pd.Timestamp | None]]:
    """(link, date) of each item, for a fetcher deciding whether a feed has anything new."""
    out = []
    for entry in items(feed_root(unbundle(raw, "feed")[0], "feed"), "feed"):
        try:
            stamp: pd.Timestamp | None = parse_date(entry["date"], "")
        except ValueError:
            stamp = None
        out.append((entry["link"], stamp))
    return out
