"""HDX HAPI `affected-people/idps`: the live API, paged with offset/limit, or saved JSON/CSV.

Live when a location is the endpoint URL (its path ends in `/affected-people/idps`), e.g.
`https://hapi.humdata.org/api/v2/affected-people/idps`; params `location_codes` (ISO3 list)
and `page_size` (HAPI allows up to 10000) are optional. The app identifier comes from
`SITREP_HAPI_APP_IDENTIFIER` and travels only in the `X-HDX-HAPI-APP-IDENTIFIER` header.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx

from flows import http
from flows.fetch import FetchError, RawFile, expand, fetch_location, store
from flows.settings import Settings, SourceConfig
from flows.sources import Kind
from transforms import hapi

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
    if settings.hapi_app_identifier is None:
        raise FetchError(f"{source.name}: the HAPI API needs SITREP_HAPI_APP_IDENTIFIER")
    size = int(source.params.get("page_size", PAGE_SIZE))
    query: dict[str, str | int] = {"output_format": "json", "limit": size}
    if code:
        query["location_code"] = code
    headers = {APP_HEADER: settings.hapi_app_identifier.get_secret_value()}
    found = []
    with http.client(settings.http_timeout, headers) as client:
        for page in range(MAX_PAGES):
            query["offset"] = page * size
            raw, rows = _page(client, url, query, settings)
            found.append(raw)
            if rows < size:
                return found
    raise FetchError(f"{url}: more than {MAX_PAGES} pages of {size} rows; narrow the query")


def _page(
    client: httpx.Client, url: str, query: dict[str, str | int], settings: Settings
) -> tuple[RawFile, int]:
    """One page into the raw store, with the number of rows it held."""
    try:
        response = http.get(
            client,
            url,
            params=query,
            retries=settings.http_retries,
            backoff=settings.http_backoff,
            max_bytes=settings.max_input_bytes,
        )
        rows = len(json.loads(response.content).get("data", []))
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc
    except (ValueError, AttributeError) as exc:
        raise FetchError(f"{url}: page is not a HAPI JSON object ({exc})") from exc
    return store(settings.raw_dir, f"{url}?{urlencode(query)}", response.content, ".json"), rows


KIND = Kind(
    name="hapi-idps",
    transform=hapi.parse,
    tables=("displacement",),
    patterns=("*.csv", "*.json"),
    fetcher=fetch,
)
