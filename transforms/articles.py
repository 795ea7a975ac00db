"""Article files in the seed format: a summary paragraph, body paragraphs, `Original Source: X`."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import ftfy
import pandas as pd

from transforms.lineage import Origin, add_lineage
from transforms.parsed import Parsed, Reject

SOURCE_LINE = re.compile(r"^\s*original source\s*:\s*(?P<where>\S.*?)\s*$", re.IGNORECASE)
FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


def parse(raw: bytes, origin: Origin) -> Parsed:
    """One article file into one `articles` row, or one reject saying what is wrong with it."""
    try:
        row = article_row(decode(raw), origin.name)
    except ValueError as exc:
        record = {"file": origin.source_url, "text": raw[:2000].decode("utf-8", "replace")}
        return Parsed(rejects={"articles": [Reject(1, str(exc), record)]})
    frame = add_lineage(pd.DataFrame([row]), origin)
    frame["source_record_id"] = frame["article_id"]
    return Parsed(tables={"articles": frame})


def decode(raw: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else cp1252; mojibake repaired."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return ftfy.fix_text(text, uncurl_quotes=False)


def article_row(text: str, name: str) -> dict[str, str | None]:
    """The fields of one article; ValueError naming the file and line when the format is off."""
    lines = [ln.strip() for ln in text.splitlines()]
    paragraphs = [ln for ln in lines if ln]
    if not paragraphs:
        raise ValueError(f"{name}: empty article file")
    match = SOURCE_LINE.match(paragraphs[-1])
    if not match:
        raise ValueError(
            f"{name} line {len(lines)} field 'Original Source': "
            "last line must be 'Original Source: <url or host>'"
        )
    if len(paragraphs) < 2:
        raise ValueError(
            f"{name} line 1 field summary: no summary paragraph before the source line"
        )
    summary, body = paragraphs[0], "\n\n".join(paragraphs[1:-1])
    url = match["where"]
    content_hash = hashlib.sha256(normalise(summary + "\n" + body).encode()).hexdigest()
    return {
        "article_id": article_id(url, content_hash),
        "url": url,
        "publisher": publisher(url),
        "title": title_from(summary),
        "summary": summary,
        "body": body,
        "content_hash": content_hash,
    }


def normalise(text: str) -> str:
    """Text reduced for hashing: case folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def publisher(url: str) -> str:
    """Host of a URL or bare host name, without `www.`."""
    host = urlsplit(url if "//" in url else "//" + url).hostname or url
    return host.removeprefix("www.")


def article_id(url: str, content_hash: str) -> str:
    """Stable id: the canonical URL when it names a page, else the content hash."""
    parts = urlsplit(url if "//" in url else "//" + url)
    if parts.path.strip("/"):
        canonical = f"{(parts.hostname or '').removeprefix('www.')}{parts.path.rstrip('/')}"
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return content_hash[:16]


def title_from(summary: str) -> str:
    """A title for files that carry none: the summary's first sentence, cut at 140 characters."""
    match = FIRST_SENTENCE.match(summary)
    first = match.group(1) if match else summary
    return first if len(first) <= 140 else first[:139].rstrip() + "…"
