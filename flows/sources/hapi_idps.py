"""HDX HAPI `affected-people/idps`: the live API, paged with offset/limit, or saved JSON/CSV.

Live when a location is the endpoint URL (its path ends in `/affected-people/idps`), e.g.
`https://hapi.humdata.org/api/v2/affected-people/idps`; params `location_codes` (ISO3 list)
and `page_size` (HAPI allows up to 10000) are optional. The app identifier comes from
`SITREP_HAPI_APP_IDENTIFIER` and travels only in the `X-HDX-HAPI-APP-IDENTIFIER` header,
only to the endpoint's origin (never along a redirect to another one).
"""

from __future__ import annotations

from typing import Any

import httpx

from flows import http, paged
from flows.fetch import FetchError, RawFile, expand, fetch_location
from flows.incremental import api_client
from flows.settings import Settings, SourceConfig
from flows.sources import Kind
from transforms import hapi
from transforms.readers import json_body

ENDPOINT = "/affected-people/idps"
APP_HEADER = "X-HDX-HAPI-APP-IDENTIFIER"
PAGE_SIZE = 10_000
MAX_PAGES = 1_000


def is_endpoint(location: str) -> bool:
    """A URL of the live idps endpoint (as opposed to a saved file or any other URL)."""
    return "://" in location and httpx.URL(location).path.rstrip("/").endswith(ENDPOINT)


def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Every page of the endpoint for each country asked for; other locations as files."""
    found: list[RawFile] = []
    for where in source.location:
        if not is_endpoint(where):
            found += [fetch_location(loc, settings.raw_dir, settings=settings)
                      for loc in expand(where, patterns)]  # fmt: skip
            continue
        for code in source.params.get("location_codes", [None]):
            found += pages(where, code, source, settings)
    return found


def pages(url: str, code: str | None, source: SourceConfig, settings: Settings) -> list[RawFile]:
    """Pages of one query until one comes back shorter than the page size."""
    app = paged.credential(settings.hapi_app_identifier, "HAPI", "SITREP_HAPI_APP_IDENTIFIER")
    size = int(source.params.get("page_size", PAGE_SIZE))

    def query(page: int) -> dict[str, Any]:
        located = {"location_code": code} if code else {}
        return {"output_format": "json", "limit": size, **located, "offset": page * size}

    auth = http.BoundAuth([url], headers={APP_HEADER: app})
    with api_client(settings, [url], auth) as client:
        got = paged.numbered_pages(
            client, url, settings, query, lambda page, _: rows(page) < size, MAX_PAGES
        )
    return [paged.stored(settings, url, query(n), page) for n, page in enumerate(got)]


def rows(page: httpx.Response) -> int:
    """How many rows a HAPI page holds; FetchError when it is not a HAPI JSON object."""
    try:
        return len(json_body(page.content, str(page.request.url)).get("data", []))
    except (ValueError, AttributeError) as exc:
        where = http.redact(str(page.request.url))
        raise FetchError(f"{where}: page is not a HAPI JSON object ({exc})") from exc


KIND = Kind(
    name="hapi-idps",
    transform=hapi.parse,
    tables=("displacement",),
    patterns=("*.csv", "*.json"),
    fetcher=fetch,
)
