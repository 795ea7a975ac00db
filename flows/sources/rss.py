"""RSS 2.0 and Atom feeds from URLs or saved files; a feed with nothing new is not read again.

Incremental by the simplest honest rule: each feed's mark is the newest `published_at` of
its items at the source's last successful load; a fetched feed none of whose items is newer
is dropped before parsing. A feed with anything newer is loaded whole; items already loaded
are replaced by key (article_id), never duplicated, and items that left the feed stay (not
a snapshot).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from flows import hosts, http
from flows.fetch import RawFile, fetch_files, store
from flows.incremental import marked, previous_marks
from flows.settings import Settings, SourceConfig
from flows.sources import Kind
from transforms import rss
from transforms.parsed import InputError

MARK = "published_at"


def fetch_new(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Every feed of the source, less those with no item newer than its mark; with
    SITREP_FETCH_PAGES, each with the pages of its summary-only items."""
    marks = previous_marks(settings, source)
    fresh = [raw for raw in fetch_files(source, settings, patterns) if is_new(raw, marks)]
    if settings.fetch_pages:
        fresh = [with_pages(raw, settings) for raw in fresh]
    return [marked(raw, marks) for raw in fresh]


def is_new(raw: RawFile, marks: dict[str, Any]) -> bool:
    """True when an item of the feed is newer than the feed's mark (which then moves on to
    its newest item), or when the feed cannot be read (the transform then reports why)."""
    try:
        stamps = [utc(stamp) for _, stamp in rss.newest(raw.read())]
    except InputError:
        return True
    previous = (marks.get(raw.location) or {}).get(MARK)
    mark = utc(pd.Timestamp(previous)) if previous else None
    if mark is not None and not any(stamp is None or stamp > mark for stamp in stamps):
        return False
    known = [stamp for stamp in [*stamps, mark] if stamp is not None]
    if known:
        marks[raw.location] = {MARK: max(known).isoformat()}
    return True


def utc(stamp: pd.Timestamp | None) -> pd.Timestamp | None:
    if stamp is None or pd.isna(stamp):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def with_pages(raw: RawFile, settings: Settings) -> RawFile:
    """The feed bundled with its summary-only items' pages (each also kept raw as fetched).

    A page that cannot be fetched, or whose host is not allowed (any public host unless
    SITREP_ALLOWED_HOSTS says which), is left out: the item keeps its summary.
    """
    try:
        links = rss.summary_only(raw.read())
    except InputError:
        return raw  # the transform reports why the feed cannot be read
    pages: dict[str, bytes] = {}
    with http.client(settings.http_timeout, check=hosts.any_public_host(settings)) as client:
        for link in links:
            try:
                page = http.get(client, link, **settings.http_limits())
            except (http.HttpError, hosts.HostRefusedError):
                continue
            store(settings.raw_dir, link, page.content, ".html")
            pages[link] = page.content
    if not pages:
        return raw
    return store(settings.raw_dir, raw.location, rss.bundle(raw.read(), pages), ".bundle.json")


KIND = Kind(
    name="rss",
    transform=rss.parse,
    tables=("articles", "article_facts", "article_places"),
    patterns=("*.xml", "*.rss", "*.atom"),
    snapshot=False,
    fetcher=fetch_new,
)
