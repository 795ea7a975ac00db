"""The one split of the shared labelled excerpts into a development and a test part.

A seeded rule, not a list: rows are grouped (the same article URL, or the same excerpt text
once case, accents and punctuation are dropped, so near-duplicates never straddle), and a
group goes to the test part when the SHA-256 of the seed and its key falls in the last
TEST_SHARE of the hash space. The key is the group's smallest member key, so the split does
not depend on row order. Rules are developed on the dev part only; the test part is scored,
never read, and scored once at the end.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

SEED = "sitrep-extraction-split-2026-12-05"
TEST_SHARE = 40  # percent of groups in the test part


def text_key(text: str) -> str:
    """An excerpt as letters and digits only, lower case, accents off (first 120 kept)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return "t:" + re.sub(r"[^a-z0-9]+", "", text)[:120]


def parts(rows: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """{row id: "dev" | "test"} for rows of (row id, excerpt text, article URL or "")."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def join(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    items = list(rows)
    for row_id, text, url in items:
        join("r:" + row_id, text_key(text))
        if url.strip():
            join("r:" + row_id, "u:" + url.strip().rstrip("/").casefold())
    out = {}
    for row_id, _, _ in items:
        root = find("r:" + row_id)
        digest = hashlib.sha256(f"{SEED}:{root}".encode()).hexdigest()
        out[row_id] = "test" if int(digest[:8], 16) % 100 >= 100 - TEST_SHARE else "dev"
    return out
