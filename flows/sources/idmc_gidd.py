"""IDMC GIDD: the live conflicts/disasters API (paginated with `next`) or saved pages and CSVs.

A location whose path contains `/external-api/gidd/` is the live API, read with the client
id from `SITREP_IDMC_CLIENT_ID`. Its mark per URL is the release (`last_updated`) and the
latest year read: the next run asks only for that year on (`start_year`), unless IDMC has
published a new release since, which revises past years, and then it reads everything again.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from flows import http
from flows.fetch import FetchError, RawFile
from flows.incremental import (
    api_client,
    keep,
    limits,
    previous_marks,
    public,
    split_api,
    with_params,
)
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from flows.sources.idmc_idu import client_auth
from transforms import idmc_gidd

API_PATH = "/external-api/gidd/"
log = logging.getLogger(__name__)


def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Files and plain URLs as they are; every page of each live API URL since its mark."""
    api, rest = split_api(source, API_PATH)
    raws = fetch_files(rest, settings, patterns) if rest.location else []
    if not api:
        return raws
    marks = previous_marks(settings, source)
    pages: list[httpx.Response] = []
    with api_client(settings, client_auth(settings)) as client:
        for url in api:
            got, marks[public(url)] = read_since(client, url, settings, marks.get(public(url)))
            pages += got
    return raws + [keep(settings, page, public(page.request.url), marks) for page in pages]


def read_since(
    client: httpx.Client, url: str, settings: Settings, mark: dict[str, Any] | None
) -> tuple[list[httpx.Response], dict[str, Any]]:
    """The pages new since `mark` (all of them after a new release) and the mark they reach."""
    if mark and mark.get("year"):
        pages = walk(client, with_params(url, start_year=mark["year"]), settings)
        if release(pages[0]) == mark.get("last_updated"):
            return pages, next_mark(pages, mark)
        log.info("%s: new GIDD release %s, reading every year", public(url), release(pages[0]))
    pages = walk(client, url, settings)
    return pages, next_mark(pages, None)


def walk(client: httpx.Client, url: str, settings: Settings) -> list[httpx.Response]:
    """Every page from `url` on, following `next`; FetchError when a page cannot be had."""
    try:
        return list(http.paginate_next(client, url, **limits(settings)))
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc


def release(page: httpx.Response) -> str | None:
    """The `last_updated` date of a page (the GIDD release it belongs to)."""
    body = page.json()
    return str(body["last_updated"]) if body.get("last_updated") else None


def next_mark(pages: list[httpx.Response], mark: dict[str, Any] | None) -> dict[str, Any]:
    """The release of the first page and the latest year in any page (or the previous one)."""
    years = [
        int(row["year"])
        for page in pages
        for row in page.json().get("results") or []
        if isinstance(row, dict) and str(row.get("year", "")).isdigit()
    ]
    previous = int((mark or {}).get("year") or 0)
    return {"last_updated": release(pages[0]), "year": max([previous, *years]) or None}


KIND = Kind(
    name="idmc-gidd",
    transform=idmc_gidd.parse,
    tables=("displacement",),
    patterns=("*.json", "*.csv"),
    fetcher=fetch,
)
