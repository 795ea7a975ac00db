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

from flows import paged
from flows.http import BoundAuth
from flows.incremental import public
from flows.settings import Settings
from flows.sources import Kind
from transforms import idmc_idu

API_PATH = "/external-api/idus/"
log = logging.getLogger(__name__)


def client_auth(settings: Settings, urls: list[str]) -> BoundAuth:
    """The IDMC client id as a query parameter of requests to the configured API origins
    only; FetchError saying what to set when missing."""
    client_id = paged.credential(settings.idmc_client_id, "IDMC", "SITREP_IDMC_CLIENT_ID")
    return BoundAuth(urls, params={"client_id": client_id})


def read_window(read: paged.Read) -> tuple[paged.Pages, paged.Mark]:
    """The one response of an API URL, and the newest `created_at` seen as its mark."""
    response = paged.get(read.client, read.url, read.settings)
    where = public(read.url)
    seen = created_stamps(response)
    since = read.mark.get("created_at", "")
    fresh = sum(stamp > since for stamp in seen)
    log.info("%s: %d records, %d created since %r", where, len(seen), fresh, since)
    return {where: response}, {"created_at": max([since, *seen])}


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
    fetcher=paged.marked_fetcher(API_PATH, read_window, client_auth),
)
