"""ReliefWeb reports: the live API v1 by country and date, paginated, or saved API responses.

A location whose path ends in `/v1/reports` is the live API, e.g.
`https://api.reliefweb.int/v1/reports`. `SITREP_RELIEFWEB_APPNAME` names sitrep to the API.
Params: `countries` (ISO3), `since` (ISO date, first run), `limit` (page size, default 100),
`max_pages`.
Incremental: the mark is the newest `date.created` read; later runs ask only for reports
created since it (less a day of overlap; reports read twice replace themselves by article id).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pandas as pd

from flows import live_api
from flows.fetch import FetchError
from flows.sources import Kind
from transforms import reliefweb
from transforms.readers import json_body

FIELDS = ("title", "body", "url_alias", "date", "source", "primary_country", "language")
OVERLAP = timedelta(days=1)
MARK = "fields.date.created"


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


def since(read: live_api.Read) -> str | None:
    """Where this run starts: the marked newest report less the overlap, else `since`."""
    mark = read.mark.get(MARK)
    if mark:
        start = pd.Timestamp(mark)
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        return (start - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    first = read.source.params.get("since")
    return f"{first}T00:00:00+00:00" if first and "T" not in str(first) else first


def read_since(read: live_api.Read) -> tuple[live_api.Pages, live_api.Mark]:
    """Every page of each country's reports created since the mark, and the newest read."""
    countries = read.source.params.get("countries")
    if not countries:
        raise FetchError(f"source {read.source.name}: the ReliefWeb API needs params.countries")
    start = since(read)
    limit = int(read.source.params.get("limit", 100))
    max_pages = int(read.source.params.get("max_pages", 50))

    def last(page: httpx.Response, n: int) -> bool:
        count, total = body_counts(page.content)
        return count < limit or (n + 1) * limit >= total

    pages: live_api.Pages = {}
    for country in countries:

        def params(page: int, country: str = country) -> dict[str, Any]:
            return query(country, start, page * limit, limit)

        got = live_api.numbered_pages(read, read.url, params, last, max_pages, cap_is_error=False)
        pages.update(live_api.by_query(read.url, [params(n) for n in range(len(got))], got))
    return pages, live_api.newest(read, pages, "data")


def body_counts(body: bytes) -> tuple[int, int]:
    """(reports on this page, reports in all) of a response, read leniently."""
    try:
        data = json_body(body, "page")
        return int(data.get("count", len(data.get("data", [])))), int(data.get("totalCount", 0))
    except (ValueError, AttributeError, TypeError):
        return 0, 0


API = live_api.LiveApi(
    route=r"/v1/reports/?$",
    read=read_since,
    mark_field=MARK,
    credential=live_api.Credential("ReliefWeb", "reliefweb_appname", param="appname"),
    hosts=("api.reliefweb.int",),
)

KIND = Kind(
    name="reliefweb",
    transform=reliefweb.parse,
    tables=("articles", "article_facts", "article_places"),
    patterns=("*.json",),
    snapshot=False,
    live=API,
)
