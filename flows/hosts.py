"""Which hosts sitrep may fetch from: an allow-list, and no private address unless allowed.

Checked on every request, each redirect hop and `next` link included (an httpx request
hook), after resolving the host name: a name that resolves to 127.0.0.1 is loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import httpx

from flows.fetch import FetchError
from flows.settings import Settings
from transforms.redaction import redact

SETTING = "SITREP_ALLOWED_HOSTS"


class HostRefusedError(FetchError):
    """A URL whose host is not allowed, or resolves to an address that is not public."""


class HostGuard:
    """Refuses requests to hosts off the allow-list, and to non-public addresses.

    `allowed` None means any host (links found in a feed); `explicit` are the hosts the
    user named in the setting, the only ones that may resolve to loopback, link-local or
    private addresses.
    """

    def __init__(self, allowed: Iterable[str] | None, explicit: Iterable[str]):
        self.allowed = None if allowed is None else [_norm(h) for h in allowed]
        self.explicit = [_norm(h) for h in explicit]

    def __call__(self, request: httpx.Request) -> None:
        self.check(request.url)

    def check(self, url: httpx.URL) -> None:
        """HostRefusedError naming the (redacted) URL and the setting to change."""
        host = _norm(url.host)
        if self.allowed is not None and not _matches(host, self.allowed):
            raise HostRefusedError(
                f"{redact(str(url))}: host {host} is not an allowed host; add it to "
                f"{SETTING} (a list of host names, *.domain for a domain) to fetch from it"
            )
        if _matches(host, self.explicit):
            return
        for address in _addresses(host, url.port or (443 if url.scheme == "https" else 80)):
            if not address.is_global:
                raise HostRefusedError(
                    f"{redact(str(url))}: host {host} resolves to {address}, a loopback, "
                    f"link-local or private address; name {host} in {SETTING} to allow it"
                )


def guard(settings: Settings, locations: Iterable[str], provider: Iterable[str] = ()) -> HostGuard:
    """The guard of a fetch: the setting when given, else the hosts the live API names
    (`LiveApi.hosts`, for a live source) and the hosts of the locations configured."""
    explicit = settings.allowed_hosts or []
    if settings.allowed_hosts is not None:
        return HostGuard(explicit, explicit)
    named = [httpx.URL(loc).host for loc in locations if "://" in loc]
    return HostGuard([*provider, *named], explicit)


def any_public_host(settings: Settings) -> HostGuard:
    """The guard for links found in data (a feed's article pages): any public host, or only
    the allowed hosts when the setting is given."""
    explicit = settings.allowed_hosts or []
    return HostGuard(explicit if settings.allowed_hosts is not None else None, explicit)


def _norm(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _matches(host: str, patterns: list[str]) -> bool:
    """True when `host` is one of the patterns, or under a `*.domain` one."""
    return any(
        host == p or (p.startswith("*.") and (host.endswith(p[1:]) or host == p[2:]))
        for p in patterns
    )


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the host name resolves to (none when it does not resolve: the request
    then fails to connect on its own)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
