"""RSS 2.0 and Atom feeds from URLs or saved files; a feed with nothing new is not read again.

Incremental by the simplest honest rule: the newest `published_at` this source already has in
the warehouse is its high-water mark; a fetched feed none of whose items is newer is dropped
before parsing. A feed with anything newer is loaded whole; items already loaded are replaced
by key (article_id), never duplicated, and items that left the feed stay (not a snapshot).
"""

from __future__ import annotations

import pandas as pd

from flows import hosts, http
from flows.fetch import RawFile, store
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import rss
from transforms.parsed import InputError
from warehouse.article_marks import newest_published


def fetch_new(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Every feed of the source, less those with no item newer than what is loaded; with
    SITREP_FETCH_PAGES, each with the pages of its summary-only items."""
    raws = fetch_files(source, settings, patterns)
    mark = newest_published(settings.warehouse, source.name)
    fresh = [r for r in raws if mark is None or has_newer(r, mark)]
    return [with_pages(r, settings) for r in fresh] if settings.fetch_pages else fresh


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


def has_newer(raw: RawFile, mark: pd.Timestamp) -> bool:
    """True when an item is newer than the mark, or the feed cannot be read (the transform
    then reports why)."""
    try:
        stamps = [stamp for _, stamp in rss.newest(raw.read())]
    except InputError:
        return True
    return any(stamp is None or stamp > mark for stamp in stamps)


KIND = Kind(
    name="rss",
    transform=rss.parse,
    tables=("articles", "article_facts", "article_places"),
    patterns=("*.xml", "*.rss", "*.atom"),
    snapshot=False,
    fetcher=fetch_new,
)
