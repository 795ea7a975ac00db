"""ReliefWeb reports: the live API v1 by country and date, paginated, or saved API responses.

Live when the source lists `countries` (ISO3) in its params; its location is the API route,
e.g. `https://api.reliefweb.int/v1/reports`. `SITREP_RELIEFWEB_APPNAME` names sitrep to the
API. Params: `since` (ISO date, first run), `limit` (page size, default 100), `max_pages`.
Incremental: later runs ask only for reports created since the newest one already loaded
(less a day of overlap; reports read twice replace themselves by article id).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from flows import http, paged
from flows.fetch import RawFile
from flows.incremental import api_client
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import reliefweb
from transforms.readers import json_body
from warehouse.article_marks import newest_published

FIELDS = ("title", "body", "url_alias", "date", "source", "primary_country", "language")
OVERLAP = timedelta(days=1)


def query(country: str, since: str | None, offset: int, limit: int) -> dict[str, Any]:
    """API query parameters: one country, created since a date, oldest first, one page."""
    params: dict[str, Any] = {
        "filter[operator]": "AND",
        "filter[conditions][0][field]": "primary_country.iso3",
        "filter[conditions][0][value]": country.lower(),
        "fields[include][]": list(FIELDS),
        "sort[]": "date.created:asc",
        "offset": offset,
        "limit": limit,
    }
    if since:
        params["filter[conditions][1][field]"] = "date.created"
        params["filter[conditions][1][value][from]"] = since
    return params


def since(source: SourceConfig, settings: Settings) -> str | None:
    """Where this run starts: the newest loaded report less the overlap, else `since`."""
    mark = newest_published(settings.warehouse, source.name)
    if mark is not None:
        return (mark - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    first = source.params.get("since")
    return f"{first}T00:00:00+00:00" if first and "T" not in str(first) else first


def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Live API pages when the source names countries, else the files or URLs given."""
    if "countries" not in source.params:
        return fetch_files(source, settings, patterns)
    app = paged.credential(settings.reliefweb_appname, "ReliefWeb", "SITREP_RELIEFWEB_APPNAME")
    start = since(source, settings)
    out: list[RawFile] = []
    auth = http.BoundAuth(source.location, params={"appname": app})
    with api_client(settings, source.location, auth) as client:
        for root in source.location:
            for country in source.params["countries"]:
                out += pages(client, root, country, start, source, settings)
    return out


def pages(
    client: httpx.Client,
    root: str,
    country: str,
    start: str | None,
    source: SourceConfig,
    settings: Settings,
) -> list[RawFile]:
    """Every page of one country's reports (offset/limit until the total is reached)."""
    limit = int(source.params.get("limit", 100))

    def params(page: int) -> dict[str, Any]:
        return query(country, start, page * limit, limit)

    def last(page: httpx.Response, n: int) -> bool:
        count, total = body_counts(page.content)
        return count < limit or (n + 1) * limit >= total

    max_pages = int(source.params.get("max_pages", 50))
    got = paged.numbered_pages(client, root, settings, params, last, max_pages, cap_is_error=False)
    return [paged.stored(settings, root, params(n), page) for n, page in enumerate(got)]


def body_counts(body: bytes) -> tuple[int, int]:
    """(reports on this page, reports in all) of a response, read leniently."""
    try:
        data = json_body(body, "page")
        return int(data.get("count", len(data.get("data", [])))), int(data.get("totalCount", 0))
    except (ValueError, AttributeError, TypeError):
        return 0, 0


KIND = Kind(
    name="reliefweb",
    transform=reliefweb.parse,
    tables=("articles", "article_facts", "article_places"),
    patterns=("*.json",),
    snapshot=False,
    fetcher=fetch,
)
