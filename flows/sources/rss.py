"""RSS 2.0 and Atom feeds from URLs or saved files; a feed with nothing new is not read again.

Incremental by the simplest honest rule: the newest `published_at` this source already has in
the warehouse is its high-water mark; a fetched feed none of whose items is newer is dropped
before parsing. A feed with anything newer is loaded whole; items already loaded are replaced
by key (article_id), never duplicated, and items that left the feed stay (not a snapshot).
"""

from __future__ import annotations

import pandas as pd

from flows.fetch import RawFile
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import rss
from transforms.parsed import InputError
from warehouse.article_marks import newest_published


def fetch_new(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Every feed of the source, less those with no item newer than what is loaded."""
    raws = fetch_files(source, settings, patterns)
    mark = newest_published(settings.warehouse, source.name)
    return [r for r in raws if mark is None or has_newer(r, mark)]


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
    tables=("articles", "article_facts"),
    patterns=("*.xml", "*.rss", "*.atom"),
    snapshot=False,
    fetcher=fetch_new,
)
