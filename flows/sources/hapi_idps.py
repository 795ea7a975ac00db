"""HDX HAPI `affected-people/idps`: the live API, paged with offset/limit, or saved JSON/CSV.

A location whose path ends in `/affected-people/idps` is the live endpoint, e.g.
`https://hapi.humdata.org/api/v2/affected-people/idps`; params `location_codes` (ISO3 list)
and `page_size` (HAPI allows up to 10000) are optional. The app identifier comes from
`SITREP_HAPI_APP_IDENTIFIER` and travels only in the `X-HDX-HAPI-APP-IDENTIFIER` header,
only to the endpoint's origin. The mark is the newest `reference_period_start` read; HAPI
revises past periods, so every run reads them all again (a snapshot).
"""

from __future__ import annotations

from typing import Any

import httpx

from flows import live_api
from flows.fetch import FetchError
from flows.sources._statistics_kind import statistics_kind
from transforms import hapi
from transforms.readers import json_body

APP_HEADER = "X-HDX-HAPI-APP-IDENTIFIER"
PAGE_SIZE = 10_000
MAX_PAGES = 1_000
MARK = "reference_period_start"


def read_all(read: live_api.Read) -> tuple[live_api.Pages, live_api.Mark]:
    """Every page of the endpoint for each country asked for, and the newest period read."""
    size = int(read.source.params.get("page_size", PAGE_SIZE))
    pages: live_api.Pages = {}
    for code in read.source.params.get("location_codes", [None]):

        def query(page: int, code: str | None = code) -> dict[str, Any]:
            located = {"location_code": code} if code else {}
            return {"output_format": "json", "limit": size, **located, "offset": page * size}

        got = live_api.numbered_pages(
            read, read.url, query, lambda page, _: rows(page) < size, MAX_PAGES
        )
        pages.update(live_api.by_query(read.url, [query(n) for n in range(len(got))], got))
    return pages, live_api.newest(read, pages, "data")


def rows(page: httpx.Response) -> int:
    """How many rows a HAPI page holds; FetchError when it is not a HAPI JSON object."""
    try:
        return len(json_body(page.content, str(page.request.url)).get("data", []))
    except (ValueError, AttributeError) as exc:
        where = live_api.public(page.request.url)
        raise FetchError(f"{where}: page is not a HAPI JSON object ({exc})") from exc


API = live_api.LiveApi(
    route=r"/affected-people/idps/?$",
    read=read_all,
    mark_field=MARK,
    credential=live_api.Credential("HAPI", "hapi_app_identifier", header=APP_HEADER),
    hosts=("hapi.humdata.org", "data.humdata.org"),
)

KIND = statistics_kind("hapi-idps", hapi.parse, API)
