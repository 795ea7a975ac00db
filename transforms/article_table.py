"""Article rows from any source made canonical: ids, duplicates, clusters, language, facts."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from rapidfuzz import fuzz

from transforms.extract.facts import read_article
from transforms.lineage import Origin, add_lineage
from transforms.parsed import Parsed, Reject
from transforms.text_limits import MAX_EXTRACT_CHARS, MAX_TEXT_CHARS, cut_note, truncate

NEAR_DUPLICATE = 90  # rapidfuzz token-set ratio of title + summary that marks a syndicated copy
STOP = frozenset(("a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "the", "to"))
FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


def article(url: str, title: str, summary: str, body: str, published: Any = None) -> dict[str, Any]:
    """One article's fields, its id from the canonical URL or, lacking one, the content hash.

    A title, summary or body over MAX_TEXT_CHARS is cut at a sentence or word break; `build`
    turns the cuts (under the `_cut` key) into notes naming the item and field.
    """
    cuts = {}
    texts = {"title": title, "summary": summary, "body": body}
    for name, text in texts.items():
        if len(text) > MAX_TEXT_CHARS:
            texts[name] = truncate(text, MAX_TEXT_CHARS)
            cuts[name] = (len(text), len(texts[name]))
    title, summary, body = texts["title"], texts["summary"], texts["body"]
    content_hash = hashlib.sha256(normalise(summary + "\n" + body).encode()).hexdigest()
    return {
        "article_id": article_id(url, content_hash),
        "url": url,
        "publisher": publisher(url),
        "title": title,
        "summary": summary,
        "body": body,
        "published_at": published,
        "content_hash": content_hash,
        "_cut": cuts,
    }


def build(
    rows: list[dict[str, Any]], origin: Origin, rejects: list[Reject] | None = None
) -> Parsed:
    """Articles and their facts; a repeat of an earlier article (same id or text) is rejected."""
    rejects = list(rejects or [])
    kept: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    notes: list[str] = []
    for row_no, row in enumerate(rows, start=1):
        row["_where"] = where = f"{origin.name} item {row_no}"
        for field, (before, after) in row.pop("_cut", {}).items():
            notes.append(cut_note(where, field, before, after, MAX_TEXT_CHARS))
        first = seen.get(row["article_id"]) or seen.get(row["content_hash"])
        if first is not None:
            reason = f"{origin.name} item {row_no}: duplicate of article {first} (same URL or text)"
            record = {k: v for k, v in row.items() if not k.startswith("_")}
            rejects.append(Reject(row_no, reason, record, row["article_id"]))
            continue
        seen[row["article_id"]] = seen[row["content_hash"]] = row["article_id"]
        kept.append(row)
    columns = [k for k in article("", "", "", "") if not k.startswith("_")]
    frame = pd.DataFrame(kept, columns=columns)
    for r in kept:
        r["_language"] = language(text_of(r))
    frame["language"] = [r["_language"] for r in kept]
    frame["cluster_id"] = clusters(kept)
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    frame["source_record_id"] = frame["article_id"]
    articles = add_lineage(frame, origin)
    return Parsed(
        tables={"articles": articles, **read_facts(kept, origin, notes)},
        rejects={"articles": rejects} if rejects else {},
        notes=notes,
    )


def text_of(row: dict[str, Any]) -> str:
    """Title, summary and body once each (a title that opens the summary is not repeated)."""
    parts = [row.get("title") or "", row.get("summary") or "", row.get("body") or ""]
    if parts[0] and parts[1].startswith(parts[0].rstrip("…")):
        parts[0] = ""
    if parts[1] and parts[2].startswith(parts[1]):
        parts[1] = ""
    return "\n\n".join(p for p in parts if p)


def facts(
    rows: list[dict[str, Any]], origin: Origin, notes: list[str] | None = None
) -> pd.DataFrame:
    """The `article_facts` rows of the articles (see read_facts)."""
    return read_facts(rows, origin, notes)["article_facts"]


def read_facts(
    rows: list[dict[str, Any]], origin: Origin, notes: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The `article_facts` rows of the articles, numbered from 1 per article, most salient
    first, and their `article_places` (admin units and towns named, most mentioned first).

    The title and URL are context for the places (the country they name), the article's
    language chooses the number style. Facts are read from the first MAX_EXTRACT_CHARS of an
    article (cut at a sentence or word break); a note says so for each longer article.
    """
    out = []
    named = []
    for row in rows:
        published = _day(row.get("published_at"))
        text = text_of(row)
        if len(text) > MAX_EXTRACT_CHARS:
            read = truncate(text, MAX_EXTRACT_CHARS)
            if notes is not None:
                notes.append(extract_note(row.get("_where") or origin.name, len(text), len(read)))
            text = read
        found, about = read_article(
            text,
            published,
            title=row.get("title") or "",
            url=row.get("url") or "",
            language=row.get("_language"),
        )
        for fact_no, fact in enumerate(found, start=1):
            out.append(
                {
                    "article_id": row["article_id"],
                    "fact_no": fact_no,
                    **{k: getattr(fact, k) for k in FACT_FIELDS},
                    "source_record_id": f"{row['article_id']}:{fact_no}",
                }
            )
        for place_no, place in enumerate(about, start=1):
            named.append(
                {
                    "article_id": row["article_id"],
                    "place_no": place_no,
                    **{k: getattr(place, k) for k in PLACE_FIELDS},
                    "source_record_id": f"{row['article_id']}:place:{place_no}",
                }
            )
    frame = pd.DataFrame(out, columns=["article_id", "fact_no", *FACT_FIELDS, "source_record_id"])
    places = pd.DataFrame(
        named, columns=["article_id", "place_no", *PLACE_FIELDS, "source_record_id"]
    )
    return {
        "article_facts": add_lineage(frame, origin),
        "article_places": add_lineage(places, origin),
    }


PLACE_FIELDS = (
    "place_name", "iso3", "admin1_pcode", "admin2_pcode", "mentions", "first_sentence",
)  # fmt: skip


def extract_note(where: str, before: int, after: int) -> str:
    """The reason recorded when extraction reads only the start of a long article."""
    return (
        f"{where} field text: {before:,} characters, over the extraction limit of "
        f"{MAX_EXTRACT_CHARS:,}; facts read from the first {after:,}"
    )


FACT_FIELDS = (
    "iso3", "place_name", "admin1_pcode", "admin2_pcode", "figure", "unit", "term",
    "qualifier", "event_date", "sentence", "confidence",
)  # fmt: skip


def _day(value: Any) -> date | None:
    stamp = pd.to_datetime(value, utc=True, errors="coerce")
    return None if pd.isna(stamp) else stamp.date()


def clusters(rows: list[dict[str, Any]]) -> list[str]:
    """A cluster id per article: the key of its title, or of an earlier near-identical story."""
    keys: list[str] = []
    texts: list[str] = []
    for row in rows:
        text = normalise(f"{row.get('title') or ''} {(row.get('summary') or '')[:300]}")
        match = next(
            (
                k
                for k, t in zip(keys, texts, strict=True)
                if fuzz.token_set_ratio(text, t) >= NEAR_DUPLICATE
            ),
            None,
        )
        keys.append(match or title_key(row.get("title") or row.get("summary") or ""))
        texts.append(text)
    return keys


def title_key(title: str) -> str:
    """A stable story key: the title's first twelve content words, hashed.

    Syndicated copies keep the headline, so they share the key across feeds and runs.
    """
    words = [w for w in re.findall(r"[^\W_]+", title.casefold()) if w not in STOP][:12]
    return hashlib.sha1(" ".join(words).encode()).hexdigest()[:16]


@cache
def _detector() -> Any:
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0  # langdetect is randomised; fixed seed, same answer every run
    import langdetect

    return langdetect


def language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (langdetect on its first 1,000 characters)."""
    sample = text[:1000]
    if len(re.findall(r"[^\W\d_]", sample)) < 20:
        return None
    try:
        return str(_detector().detect(sample))
    except Exception:  # langdetect raises its own LangDetectException on letterless text
        return None


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
