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

from flows import live_api
from flows.fetch import FetchError
from flows.live_api import public, with_params
from flows.sources import Kind
from transforms import unhcr

PAGE_SIZE = 1000
MAX_PAGES = 1000


def read_since(read: live_api.Read) -> tuple[live_api.Pages, live_api.Mark]:
    """The pages from the marked year on, and the latest year they hold."""
    year = read.mark.get("year")
    limit = int(read.source.params.get("limit", PAGE_SIZE))
    got = read_pages(read, with_params(read.url, yearFrom=year), limit)
    return live_api.by_location(got), {"year": max([year or 0, *years(got)]) or None}


def read_pages(read: live_api.Read, url: str, limit: int) -> list[httpx.Response]:
    """Pages 1 to the announced `maxPages` of one query; FetchError when a page cannot be had."""
    return live_api.numbered_pages(
        read,
        url,
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


API = live_api.LiveApi(
    route="/population/v1/", read=read_since, mark_field="year", hosts=("api.unhcr.org",)
)

KIND = Kind(
    name="unhcr",
    transform=unhcr.parse,
    tables=("displacement",),
    patterns=("*.json", "*.csv", "*.xlsx"),
    live=API,
)
