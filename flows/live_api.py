"""Live APIs: one description each (location rule, credential, paginator, mark field) and the
one fetcher that reads every live location of a source since its high-water mark."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from flows import hosts, http
from flows.fetch import FetchError, RawFile, fetch_files, store
from flows.incremental import marked, previous_marks
from flows.settings import Settings, SourceConfig

# Pages by the public location they are stored under.
Pages = dict[str, httpx.Response]
Mark = dict[str, Any]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credential:
    """A credential from the settings, sent as a header or a query parameter, only to the
    origins of the API's configured locations (never along a redirect to another one)."""

    api: str
    setting: str
    header: str | None = None
    param: str | None = None

    def auth(self, settings: Settings, urls: Iterable[str]) -> http.BoundAuth:
        """The credential bound to `urls`' origins; FetchError naming the setting when unset."""
        value: SecretStr | str | None = getattr(settings, self.setting)
        if not value:
            env = f"SITREP_{self.setting.upper()}"
            raise FetchError(f"the {self.api} API needs a credential: set {env}")
        secret = value.get_secret_value() if isinstance(value, SecretStr) else value
        return http.BoundAuth(
            urls,
            headers={self.header: secret} if self.header else None,
            params={self.param: secret} if self.param else None,
        )


@dataclass(frozen=True)
class Read:
    """One live API URL to read since its mark ({} on a first run), for a source; `field`
    is the API's mark field."""

    client: httpx.Client
    url: str
    mark: Mark
    source: SourceConfig
    settings: Settings
    field: str


# The paginator of an API: the pages of one location since its mark, and the mark they reach.
ReadSince = Callable[[Read], tuple[Pages, Mark]]


@dataclass(frozen=True)
class LiveApi:
    """One live API: which locations are it (`route`, a pattern searched in a URL's path),
    how its pages are read (`read`), its credential, the record field whose newest value
    is its high-water mark, and the provider's hosts (allowed by default, `flows.hosts`).
    Other locations of the source are read as files or plain URLs."""

    route: str
    read: ReadSince
    mark_field: str
    credential: Credential | None = None
    hosts: tuple[str, ...] = ()

    def is_live(self, location: str) -> bool:
        return "://" in location and re.search(self.route, httpx.URL(location).path) is not None

    def fetch(
        self, source: SourceConfig, settings: Settings, patterns: tuple[str, ...]
    ) -> list[RawFile]:
        """A source's files and plain URLs as they are; each live location's pages since its
        mark, stored with the marks of the whole source as they stand after."""
        live = [loc for loc in source.location if self.is_live(loc)]
        rest = source.model_copy(update={"location": [x for x in source.location if x not in live]})
        raws = fetch_files(rest, settings, patterns) if rest.location else []
        if not live:
            return raws
        marks = previous_marks(settings, source)
        auth = self.credential.auth(settings, live) if self.credential else None
        pages: Pages = {}
        with api_client(settings, live, auth, self.hosts) as client:
            for url in live:
                mark = marks.get(public(url)) or {}
                read = Read(client, url, mark, source, settings, self.mark_field)
                got, marks[public(url)] = self.read(read)
                pages.update(got)
        return raws + [
            marked(store(settings.raw_dir, where, page.content, ".json"), marks)
            for where, page in pages.items()
        ]


def api_client(
    settings: Settings,
    locations: list[str],
    auth: http.BoundAuth | None = None,
    provider: tuple[str, ...] = (),
) -> httpx.Client:
    """The HTTP client of a source's live locations: the settings' timeout, the allowed
    hosts (the API's own and the locations') checked on every hop, and, when given,
    credentials bound to their origins."""
    return http.client(settings.http_timeout, auth, hosts.guard(settings, locations, provider))


def get(
    client: httpx.Client, url: str, settings: Settings, params: Mapping[str, Any] | None = None
) -> httpx.Response:
    """One GET with the settings' retries and size limit; FetchError when it fails for good."""
    try:
        return http.get(client, url, params=params, **settings.http_limits())
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc


def numbered_pages(
    read: Read,
    url: str,
    query: Callable[[int], Mapping[str, Any]],
    last: Callable[[httpx.Response, int], bool],
    max_pages: int,
    cap_is_error: bool = True,
) -> list[httpx.Response]:
    """Pages 0, 1, ... of `url` with `query(n)` merged into its own query, until `last(page, n)`.

    Past `max_pages` pages: a FetchError asking for a narrower query, or (when the cap is a
    setting of the source rather than a guard) the pages read so far.
    """
    pages: list[httpx.Response] = []
    for n in range(max_pages):
        pages.append(get(read.client, with_params(url, **query(n)), read.settings))
        if last(pages[-1], n):
            return pages
    if cap_is_error:
        raise FetchError(f"{public(url)}: more than {max_pages} pages; narrow the query")
    return pages


def by_location(pages: list[httpx.Response]) -> Pages:
    """Pages under the URL each was asked with, credential values redacted."""
    return {public(page.request.url): page for page in pages}


def by_query(url: str, queries: list[Mapping[str, Any]], pages: list[httpx.Response]) -> Pages:
    """Pages under `url?query` of the query each was asked with (credentials travel elsewhere)."""
    return {
        f"{url}?{urlencode(q, doseq=True)}": page for q, page in zip(queries, pages, strict=True)
    }


def newest(read: Read, pages: Pages, records: str | None) -> Mark:
    """The mark after reading `pages`: `{field: the newest value}` of the API's mark field in
    their records (or the previous mark), with a log line saying how many records are newer."""
    seen = [v for page in pages.values() for v in field_values(page, records, read.field)]
    since = str(read.mark.get(read.field) or "")
    fresh = sum(value > since for value in seen)
    log.info("%s: %d records, %d newer than %r", public(read.url), len(seen), fresh, since)
    return {read.field: max([since, *seen]) or None}


def field_values(page: httpx.Response, records: str | None, field: str) -> list[str]:
    """The values of `field` (a dotted path) in the records of a JSON page: the list under
    `records`, or the body itself when it is a list. A page that is not such JSON has none
    (its transform says why)."""
    try:
        body = page.json()
    except ValueError:
        return []
    rows = body.get(records) if isinstance(body, dict) and records else body
    values = []
    for row in rows if isinstance(rows, list) else []:
        for part in field.split("."):
            row = row.get(part) if isinstance(row, dict) else None
        if row not in (None, ""):
            values.append(str(row))
    return values


def with_params(url: str, **params: Any) -> str:
    """The URL with `params` added to its own query (httpx would replace the query instead)."""
    return str(httpx.URL(url).copy_merge_params({k: v for k, v in params.items() if v is not None}))


def public(url: str | httpx.URL) -> str:
    """A URL as recorded in lineage and errors: credential values replaced by REDACTED."""
    return http.redact(str(url))
