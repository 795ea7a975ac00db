"""IDMC GIDD: the live conflicts/disasters API (paginated with `next`) or saved pages and CSVs.

A location whose path contains `/external-api/gidd/` is the live API, read with the client
id from `SITREP_IDMC_CLIENT_ID`. Its mark per URL is the release (`last_updated`) and the
latest year read: the next run asks only for that year on (`start_year`), unless IDMC has
published a new release since, which revises past years, and then it reads everything again.
"""

from __future__ import annotations

import logging

import httpx

from flows import http, live_api
from flows.fetch import FetchError
from flows.live_api import public, with_params
from flows.settings import Settings
from flows.sources._statistics_kind import statistics_kind
from flows.sources.idmc_idu import idmc_api
from transforms import idmc_gidd

log = logging.getLogger(__name__)


def read_since(read: live_api.Read) -> tuple[live_api.Pages, live_api.Mark]:
    """The pages new since `mark` (all of them after a new release) and the mark they reach."""
    mark = read.mark
    if mark.get("year"):
        pages = walk(read.client, with_params(read.url, start_year=mark["year"]), read.settings)
        if release(pages[0]) == mark.get("last_updated"):
            return live_api.by_location(pages), next_mark(pages, mark)
        log.info("%s: new GIDD release %s, reading every year", public(read.url), release(pages[0]))
    pages = walk(read.client, read.url, read.settings)
    return live_api.by_location(pages), next_mark(pages, {})


def walk(client: httpx.Client, url: str, settings: Settings) -> list[httpx.Response]:
    """Every page from `url` on, following `next`; FetchError when a page cannot be had."""
    try:
        return list(http.paginate_next(client, url, **settings.http_limits()))
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc


def release(page: httpx.Response) -> str | None:
    """The `last_updated` date of a page (the GIDD release it belongs to)."""
    body = page.json()
    return str(body["last_updated"]) if body.get("last_updated") else None


def next_mark(pages: list[httpx.Response], mark: live_api.Mark) -> live_api.Mark:
    """The release of the first page and the latest year in any page (or the previous one)."""
    years = [
        int(row["year"])
        for page in pages
        for row in page.json().get("results") or []
        if isinstance(row, dict) and str(row.get("year", "")).isdigit()
    ]
    previous = int(mark.get("year") or 0)
    return {"last_updated": release(pages[0]), "year": max([previous, *years]) or None}


API = idmc_api("/external-api/gidd/", read_since, "year")
KIND = statistics_kind("idmc-gidd", idmc_gidd.parse, API)
