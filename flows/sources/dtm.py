"""IOM DTM: the live API v3 (admin 0/1/2 per country), or saved JSON, HDX CSV and xlsx files.

Live when the source lists `countries` in its params (ISO3 codes go as `Admin0Pcode`, other
values as `CountryName`); its location is the API root, e.g.
`https://dtmapi.iom.int/v3/displacement`. The subscription key comes from
`SITREP_DTM_SUBSCRIPTION_KEY` and travels only in the `Ocp-Apim-Subscription-Key` header,
only to the configured API origin (never along a redirect to another one).
"""

from __future__ import annotations

import re

from flows import http, paged
from flows.fetch import RawFile
from flows.incremental import api_client
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, fetch_files
from transforms import dtm

KEY_HEADER = "Ocp-Apim-Subscription-Key"
LEVELS = (0, 1, 2)
ISO3 = re.compile(r"^[A-Z]{3}$")


def requests(source: SourceConfig) -> list[tuple[str, dict[str, str]]]:
    """(URL, query) of every API call: each root, country and admin level asked for."""
    levels = source.params.get("admin_levels", LEVELS)
    calls = []
    for root in source.location:
        for country in source.params["countries"]:
            query = {"Admin0Pcode" if ISO3.match(country) else "CountryName": country}
            query.update({k: str(v) for k, v in source.params.get("filters", {}).items()})
            calls += [(f"{root.rstrip('/')}/admin{level}", query) for level in levels]
    return calls


def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
    """Live API responses when the source names countries, else the files or URLs given."""
    if "countries" not in source.params:
        return fetch_files(source, settings, patterns)
    key = paged.credential(settings.dtm_subscription_key, "DTM", "SITREP_DTM_SUBSCRIPTION_KEY")
    auth = http.BoundAuth(source.location, headers={KEY_HEADER: key})
    with api_client(settings, source.location, auth) as client:
        return [
            paged.stored(settings, url, query, paged.get(client, url, settings, query))
            for url, query in requests(source)
        ]


KIND = Kind(
    name="dtm",
    transform=dtm.parse,
    tables=("displacement",),
    patterns=("*.json", "*.csv", "*.xlsx"),
    fetcher=fetch,
    batches=dtm.parse_batches,
)
