"""Live API reads the sources share: credentials, GETs within the settings' limits, pages, marks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from flows import http
from flows.fetch import FetchError, RawFile, store
from flows.incremental import (
    api_client,
    keep,
    previous_marks,
    public,
    split_api,
    with_params,
)
from flows.settings import Settings, SourceConfig
from flows.sources import fetch_files

# Pages by the public location they are stored under.
Pages = dict[str, httpx.Response]
Mark = dict[str, Any]


@dataclass(frozen=True)
class Read:
    """One live API URL to read since its mark ({} on a first run), for a source."""

    client: httpx.Client
    url: str
    mark: Mark
    source: SourceConfig
    settings: Settings


# Reads one API URL since its mark: the pages, and the mark they reach.
ReadSince = Callable[[Read], tuple[Pages, Mark]]
Fetcher = Callable[[SourceConfig, Settings, tuple[str, ...]], list[RawFile]]


def credential(value: SecretStr | str | None, api: str, setting: str) -> str:
    """A credential's value (from now on redacted wherever it shows); FetchError naming the
    setting to set when it is missing."""
    if not value:
        raise FetchError(f"the {api} API needs a credential: set {setting}")
    secret = value.get_secret_value() if isinstance(value, SecretStr) else value
    http.register_secret(secret)
    return secret


def get(
    client: httpx.Client, url: str, settings: Settings, params: Mapping[str, Any] | None = None
) -> httpx.Response:
    """One GET with the settings' retries and size limit; FetchError when it fails for good."""
    try:
        return http.get(client, url, params=params, **settings.http_limits())
    except http.HttpError as exc:
        raise FetchError(str(exc)) from exc


def stored(
    settings: Settings, url: str, params: Mapping[str, Any], page: httpx.Response
) -> RawFile:
    """A response in the raw store under its URL and query (credentials travel elsewhere)."""
    location = f"{url}?{urlencode(params, doseq=True)}"
    return store(settings.raw_dir, location, page.content, ".json")


def numbered_pages(
    client: httpx.Client,
    url: str,
    settings: Settings,
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
        pages.append(get(client, with_params(url, **query(n)), settings))
        if last(pages[-1], n):
            return pages
    if cap_is_error:
        raise FetchError(f"{public(url)}: more than {max_pages} pages; narrow the query")
    return pages


def by_location(pages: list[httpx.Response]) -> Pages:
    """Pages under the URL each was asked with, credential values redacted."""
    return {public(page.request.url): page for page in pages}


def marked_fetcher(
    api_path: str,
    read_since: ReadSince,
    auth: Callable[[Settings, list[str]], http.BoundAuth] | None = None,
) -> Fetcher:
    """A source's fetcher: files and plain URLs as they are; the pages of each live API URL
    (a location whose path holds `api_path`) since its mark, stored with the marks they reach."""

    def fetch(source: SourceConfig, settings: Settings, patterns: tuple[str, ...]) -> list[RawFile]:
        api, rest = split_api(source, api_path)
        raws = fetch_files(rest, settings, patterns) if rest.location else []
        if not api:
            return raws
        marks = previous_marks(settings, source)
        pages: Pages = {}
        with api_client(settings, api, auth(settings, api) if auth else None) as client:
            for url in api:
                read = Read(client, url, marks.get(public(url)) or {}, source, settings)
                got, marks[public(url)] = read_since(read)
                pages.update(got)
        return raws + [keep(settings, page, where, marks) for where, page in pages.items()]

    return fetch
