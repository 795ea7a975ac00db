"""IDMC Internal Displacement Updates: the live API (last 180 days) or saved API/HDX files.

A location whose path contains `/external-api/idus/` is the live API: the client id comes
from `SITREP_IDMC_CLIENT_ID` and is added by the HTTP client, never written to lineage or
logs. The endpoint takes no date filter, so every run reads the whole 180-day window and
relies on loads by record id: unchanged records change nothing, revised ones replace their
figure (the old version goes to `displacement_history`). The high-water mark (newest
`created_at`) records how far the source has read and how many records are new.
"""

from __future__ import annotations

from flows import live_api
from flows.sources._statistics_kind import statistics_kind
from transforms import idmc_idu


def idmc_api(route: str, read: live_api.ReadSince, mark_field: str) -> live_api.LiveApi:
    """An IDMC API (IDU, GIDD): its client id sent as `client_id`, on IDMC's host."""
    return live_api.LiveApi(
        route=route,
        read=read,
        mark_field=mark_field,
        credential=live_api.Credential("IDMC", "idmc_client_id", param="client_id"),
        hosts=("helix-tools-api.idmcdb.org",),
    )


def read_window(read: live_api.Read) -> tuple[live_api.Pages, live_api.Mark]:
    """The one response of an API URL, and the newest `created_at` seen as its mark."""
    response = live_api.get(read.client, read.url, read.settings)
    pages = {live_api.public(read.url): response}
    return pages, live_api.newest(read, pages, None)


API = idmc_api("/external-api/idus/", read_window, "created_at")
KIND = statistics_kind("idmc-idu", idmc_idu.parse, API, snapshot=False)
