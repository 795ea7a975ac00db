"""IOM DTM: the live API v3 (admin 0/1/2 per country), or saved JSON, HDX CSV and xlsx files.

A location whose path ends in `/v3/displacement` is the API root, e.g.
`https://dtmapi.iom.int/v3/displacement`; params `countries` (ISO3 codes go as
`Admin0Pcode`, other values as `CountryName`), `admin_levels` and `filters`. The subscription
key comes from `SITREP_DTM_SUBSCRIPTION_KEY` and travels only in the
`Ocp-Apim-Subscription-Key` header, only to the configured API origin. The mark is the newest
`reportingDate` read; DTM revises past rounds, so every run reads every round again (a
snapshot: a load replaces what came from the same location).
"""

from __future__ import annotations

import re

from flows import live_api
from flows.fetch import FetchError
from flows.sources import Kind
from transforms import dtm

KEY_HEADER = "Ocp-Apim-Subscription-Key"
LEVELS = (0, 1, 2)
ISO3 = re.compile(r"^[A-Z]{3}$")
MARK = "reportingDate"


def read_all(read: live_api.Read) -> tuple[live_api.Pages, live_api.Mark]:
    """Each country and admin level asked for under one root, and the newest report date."""
    countries = read.source.params.get("countries")
    if not countries:
        raise FetchError(f"source {read.source.name}: the DTM API needs params.countries")
    levels = read.source.params.get("admin_levels", LEVELS)
    root = read.url.rstrip("/")
    pages: live_api.Pages = {}
    for country in countries:
        query = {"Admin0Pcode" if ISO3.match(country) else "CountryName": country}
        query.update({k: str(v) for k, v in read.source.params.get("filters", {}).items()})
        for level in levels:
            url = f"{root}/admin{level}"
            got = live_api.get(read.client, url, read.settings, query)
            pages.update(live_api.by_query(url, [query], [got]))
    return pages, live_api.newest(read, pages, "result")


API = live_api.LiveApi(
    route=r"/v3/displacement/?$",
    read=read_all,
    mark_field=MARK,
    hosts=("dtmapi.iom.int",),
    credential=live_api.Credential("DTM", "dtm_subscription_key", header=KEY_HEADER),
)

KIND = Kind(
    name="dtm",
    transform=dtm.parse,
    tables=("displacement",),
    patterns=("*.json", "*.csv", "*.xlsx"),
    live=API,
    batches=dtm.parse_batches,
    staged=dtm.staged,
)
