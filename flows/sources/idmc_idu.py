"""IDMC Internal Displacement Updates: the live API (last 180 days) or saved API/HDX files.

A location whose path contains `/external-api/idus/` is the live API: the client id comes
from `SITREP_IDMC_CLIENT_ID` and is added by the HTTP client, never written to lineage or
logs. The endpoint takes no date filter, so every run reads the whole 180-day window and
relies on loads by record id: unchanged records change nothing, revised ones replace their
figure (the old version goes to `displacement_history`). The high-water mark (newest
`created_at`) records how far the source has read and how many records are new.
"""

from __future__ import annotations

import logging

import httpx

from flows import http
from flows.fetch import FetchError, RawFile
from flows.incremental import (
    QueryParamAuth,
    api_client,
    get_page,
    keep,
    previous_marks,
    public,
    split_api,
)
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import idmc_idu

API_PATH = "/external-api/idus/"
log = logging.getLogger(__name__)


def client_auth(settings: Settings) -> QueryParamAuth:
    """The IDMC client id as a query parameter; FetchError saying what to set when missing."""
    if settings.idmc_client_id is None:
        raise FetchError("the IDMC API needs a client id: set SITREP_IDMC_CLIENT_ID")
    return QueryParamAuth("client_id", settings.idmc_client_id.get_secret_value())


def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Files and plain URLs as they are; the live API with its client id and marks."""
    api, rest = split_api(source, API_PATH)
    raws = fetch_files(rest, settings, patterns) if rest.location else []
    return raws + (fetch_api(api, source, settings) if api else [])


def fetch_api(urls: list[str], source: SourceConfig, settings: Settings) -> list[RawFile]:
    """One response per API URL, with the newest `created_at` seen as its mark."""
    marks = previous_marks(settings, source)
    out: list[RawFile] = []
    with api_client(settings, client_auth(settings)) as client:
        for url in urls:
            try:
                response = get_page(client, url, settings)
            except http.HttpError as exc:
                raise FetchError(str(exc)) from exc
            where = public(url)
            seen = created_stamps(response)
            since = marks.get(where, {}).get("created_at", "")
            fresh = sum(stamp > since for stamp in seen)
            log.info("%s: %d records, %d created since %r", where, len(seen), fresh, since)
            marks[where] = {"created_at": max([since, *seen])}
            out.append(keep(settings, response, where, marks))
    return out


def created_stamps(response: httpx.Response) -> list[str]:
    """The `created_at` of every record of an IDU body (none when it is not a list)."""
    try:
        body = response.json()
    except ValueError:
        return []
    rows = body if isinstance(body, list) else []
    return [str(r["created_at"]) for r in rows if isinstance(r, dict) and r.get("created_at")]


KIND = Kind(
    name="idmc-idu",
    transform=idmc_idu.parse,
    tables=("displacement",),
    patterns=("*.json", "*.csv"),
    snapshot=False,
    fetcher=fetch,
)
