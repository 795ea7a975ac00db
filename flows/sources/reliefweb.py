"""ReliefWeb reports: the live API v1 by country and date, paginated, or saved API responses.

Live when the source lists `countries` (ISO3) in its params; its location is the API route,
e.g. `https://api.reliefweb.int/v1/reports`. `SITREP_RELIEFWEB_APPNAME` names sitrep to the
API. Params: `since` (ISO date, first run), `limit` (page size, default 100), `max_pages`.
Incremental: later runs ask only for reports created since the newest one already loaded
(less a day of overlap; reports read twice replace themselves by article id).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from flows import http
from flows.fetch import FetchError, RawFile, store
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import reliefweb
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
    if not settings.reliefweb_appname:
        raise FetchError(f"{source.name}: the ReliefWeb API needs SITREP_RELIEFWEB_APPNAME")
    start = since(source, settings)
    out: list[RawFile] = []
    with http.client(settings.http_timeout) as client:
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
    out = []
    for page in range(int(source.params.get("max_pages", 50))):
        params = query(country, start, page * limit, limit)
        body = _get(client, root, {"appname": settings.reliefweb_appname, **params}, settings)
        out.append(
            store(settings.raw_dir, f"{root}?{urlencode(params, doseq=True)}", body, ".json")
        )
        envelope = body_counts(body)
        if envelope[0] < limit or (page + 1) * limit >= envelope[1]:
            break
    return out


def body_counts(body: bytes) -> tuple[int, int]:
    """(reports on this page, reports in all) of a response, read leniently."""
    try:
        data = json.loads(body)
        return int(data.get("count", len(data.get("data", [])))), int(data.get("totalCount", 0))
    except (ValueError, AttributeError, TypeError):
        return 0, 0


def _get(client: httpx.Client, url: str, params: dict[str, Any], settings: Settings) -> bytes:
    try:
        response = http.get(
            client,
            url,
            params=params,
            retries=settings.http_retries,
            backoff=settings.http_backoff,
            max_bytes=settings.max_input_bytes,
        )
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc
    return response.content


KIND = Kind(
    name="reliefweb",
    transform=reliefweb.parse,
    tables=("articles", "article_facts"),
    patterns=("*.json",),
    snapshot=False,
    fetcher=fetch,
)
