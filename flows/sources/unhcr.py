"""UNHCR: the live population statistics API (paged) or saved UNHCR files of any format.

A location whose path contains `/population/v1/` is the live API (no credentials), read
page by page (`page`, `limit`, `maxPages`). Its mark per URL is the latest year read: the
next run asks from that year on (`yearFrom`), since the latest year's figures are revised
until the year closes. Files: population statistics CSV/JSON, the legacy HDX CSVs, the
Operational Data Portal JSON and situation CSV, and PRMN workbooks.
"""

from __future__ import annotations

from typing import Any

import httpx

from flows import paged
from flows.fetch import FetchError
from flows.incremental import public, with_params
from flows.settings import Settings
from flows.sources import Kind
from transforms import unhcr

API_PATH = "/population/v1/"
PAGE_SIZE = 1000
MAX_PAGES = 1000


def read_since(read: paged.Read) -> tuple[paged.Pages, paged.Mark]:
    """The pages from the marked year on, and the latest year they hold."""
    year = read.mark.get("year")
    limit = int(read.source.params.get("limit", PAGE_SIZE))
    got = read_pages(read.client, with_params(read.url, yearFrom=year), read.settings, limit)
    return paged.by_location(got), {"year": max([year or 0, *years(got)]) or None}


def read_pages(
    client: httpx.Client, url: str, settings: Settings, limit: int
) -> list[httpx.Response]:
    """Pages 1 to the announced `maxPages` of one query; FetchError when a page cannot be had."""
    return paged.numbered_pages(
        client,
        url,
        settings,
        lambda n: {"limit": limit, "page": n + 1},
        lambda page, n: n + 1 >= max_pages(page),
        MAX_PAGES,
    )


def max_pages(page: httpx.Response) -> int:
    """The page count a response announces (1 when it says nothing)."""
    try:
        body: Any = page.json()
    except ValueError as exc:
        raise FetchError(f"{public(page.request.url)}: page is not JSON") from exc
    value = body.get("maxPages") if isinstance(body, dict) else None
    return int(str(value)) if str(value or "").isdigit() else 1


def years(pages: list[httpx.Response]) -> list[int]:
    """Every year found in the items of the pages."""
    return [
        int(item["year"])
        for page in pages
        for item in page.json().get("items") or []
        if isinstance(item, dict) and str(item.get("year", "")).isdigit()
    ]


KIND = Kind(
    name="unhcr",
    transform=unhcr.parse,
    tables=("displacement",),
    patterns=("*.json", "*.csv", "*.xlsx"),
    fetcher=paged.marked_fetcher(API_PATH, read_since),
)
