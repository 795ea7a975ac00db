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

from flows import http
from flows.fetch import FetchError, RawFile
from flows.incremental import (
    api_client,
    get_page,
    keep,
    previous_marks,
    public,
    split_api,
    with_params,
)
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import unhcr

API_PATH = "/population/v1/"
PAGE_SIZE = 1000


def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Files and plain URLs as they are; every page of each live API URL since its mark."""
    api, rest = split_api(source, API_PATH)
    raws = fetch_files(rest, settings, patterns) if rest.location else []
    if not api:
        return raws
    marks = previous_marks(settings, source)
    pages: list[httpx.Response] = []
    with api_client(settings) as client:
        for url in api:
            year = marks.get(public(url), {}).get("year")
            got = read_pages(client, with_params(url, yearFrom=year), settings, source)
            marks[public(url)] = {"year": max([year or 0, *years(got)]) or None}
            pages += got
    return raws + [keep(settings, page, public(page.request.url), marks) for page in pages]


def read_pages(
    client: httpx.Client, url: str, settings: Settings, source: SourceConfig
) -> list[httpx.Response]:
    """Pages 1..maxPages of one query; FetchError when a page cannot be had."""
    limit = int(source.params.get("limit", PAGE_SIZE))
    pages: list[httpx.Response] = []
    last = 1
    while len(pages) < last:
        try:
            page = get_page(client, with_params(url, limit=limit, page=len(pages) + 1), settings)
        except http.HttpError as exc:
            raise FetchError(str(exc)) from exc
        pages.append(page)
        last = max_pages(page)
    return pages


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
    fetcher=fetch,
)
