"""The one redaction of sitrep: credentials blanked from any text before it is written
(a URL, an error, a log line, an artifact, a row of the warehouse or the lake).

Every layer writes through it, so it lives with the other shared pieces under transforms/.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Names (of query parameters, headers, JSON keys) whose values are credentials: IDMC client_id,
# API keys, tokens, signatures of pre-signed URLs (sig, X-Amz-Signature), app identifiers.
SECRET_PARAM = re.compile(
    r"token|secret|passw|pwd|signature|credential|key|client[_-]?id|app[_-]?name"
    r"|app[_-]?identifier|session|cookie|(?<![a-z])(?:sig|auth|authorization|jwt)(?![a-z])",
    re.I,
)
# Credential values in free text (echoed requests, messages): `name=value` as in a query,
# `"name": "value"` as in JSON or a dict, and `Header-Name: value` lines. Possessive names
# keep the scan linear however long a word is; the name is checked afterwards.
SECRET_PAIRS = (
    re.compile(
        r"(?P<name>(?<![\w.\[\]-])[\w.\[\]-]++)(?P<sep>=)(?P<value>[^\s&\"',;<>]*[^\s&\"',;<>.:)])"
    ),
    re.compile(r"(?P<name>[\"'][\w.\[\] -]++[\"'])(?P<sep>\s*+:\s*+[\"']?)(?P<value>[^\"',}\s]+)"),
    re.compile(
        r"(?P<name>^[ \t]*+(?:[a-z0-9]++(?:-[a-z0-9]++)++|authorization|cookie))(?P<sep>:[ \t]*+)"
        r"(?P<value>\S.*)$",
        re.I | re.M,
    ),
)
URL_IN_TEXT = re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://[^\s\"'<>]*[^\s\"'<>.,:;)]", re.I)
# Shorter values are not searched for in text: they would blank out ordinary words.
MIN_SECRET = 6
REDACTED = "REDACTED"
_registered: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a credential sitrep uses, so `redact` blanks it wherever it shows up: every
    secret setting registers itself when the settings are read (`flows.settings.Settings`),
    and every credential bound to a request (`BoundAuth`)."""
    if len(value) >= MIN_SECRET:
        _registered.add(value)


def known_secrets() -> list[str]:
    """Credentials in use, longest first."""
    return sorted(_registered, key=len, reverse=True)


def redact(text: str) -> str:
    """A URL or any text (a message, an echoed body) with secrets replaced by REDACTED.

    The one redaction of sitrep, applied wherever a URL or an error is written: user info
    in URLs (`user:pass@`), the values of credential-like query parameters, header lines and
    JSON keys (`token=`, `sig=`, `X-Amz-Signature=`, `key=`, ...), and every credential
    value sitrep knows of (its settings), wherever it appears.
    """
    if not text:
        return text
    for secret in known_secrets():
        text = text.replace(secret, REDACTED)
    text = URL_IN_TEXT.sub(lambda m: _redact_url(m.group(0)), text)
    for pattern in SECRET_PAIRS:
        text = pattern.sub(_blank_value, text)
    return text


def _blank_value(match: re.Match[str]) -> str:
    """A `name<sep>value` match with the value blanked when the name is a credential's."""
    if not SECRET_PARAM.search(match.group("name")):
        return match.group(0)
    return match.group("name") + match.group("sep") + REDACTED


def redact_bytes(body: bytes) -> bytes:
    """Bytes with every known credential value replaced (as UTF-8 and as UTF-16)."""
    for secret in known_secrets():
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            body = body.replace(secret.encode(encoding), REDACTED.encode(encoding))
    return body


def _redact_url(url: str) -> str:
    """One URL without user info, credential query values replaced by REDACTED."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if "@" in parts.netloc:
        parts = parts._replace(netloc=f"{REDACTED}@{parts.netloc.rsplit('@', 1)[1]}")
    if parts.query and SECRET_PARAM.search(parts.query):
        pairs = [
            (k, REDACTED if SECRET_PARAM.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        parts = parts._replace(query=urlencode(pairs, safe="/:,[]"))
    return urlunsplit(parts)
