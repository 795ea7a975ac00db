"""Size limits on article text: an item too big to be an article is quarantined, a long text is
cut at a sentence or word break, and extraction reads a bounded prefix.

Every text step is linear, so these bound time and memory per item, not its shape: a news
article is rarely over 50,000 characters, a long ReliefWeb situation report about 150,000.
"""

from __future__ import annotations

from typing import Any

MAX_ITEM_BYTES = 2 * 2**20  # a feed item, report or article file (UTF-8): over it, quarantined
MAX_TEXT_CHARS = 200_000  # title, summary and body each: longer ones are cut and kept
MAX_EXTRACT_CHARS = 100_000  # text of one article sent to fact extraction
SENTENCE_ENDS = (". ", "! ", "? ", ".\n", "!\n", "?\n", "\n\n")
LOOK_BACK = 5_000  # how far before the limit a sentence end is looked for


def truncate(text: str, limit: int) -> str:
    """`text` when it fits, else its longest prefix within `limit` that ends a sentence (in the
    last LOOK_BACK characters), else one that ends a word, else exactly `limit` characters."""
    if len(text) <= limit:
        return text
    floor = max(0, limit - LOOK_BACK)
    window = text[floor : limit + 1]  # one more: a break right at the limit counts
    end = max(window.rfind(mark) + 1 for mark in SENTENCE_ENDS)
    if end <= 0:
        end = window.rfind(" ")
    cut = floor + end if end > 0 else limit
    return text[:cut].rstrip()


def cut_note(where: str, field: str, before: int, after: int, limit: int) -> str:
    """The reason recorded for a cut text."""
    return (
        f"{where} field {field}: {before:,} characters, over the limit of {limit:,}; "
        f"kept the first {after:,} (cut at a sentence or word break)"
    )


def largest_field(fields: dict[str, Any]) -> tuple[str, int, int]:
    """The largest text field: its name, its UTF-8 bytes, and the bytes of all text fields."""
    sizes = {k: _utf8_len(v) for k, v in fields.items() if isinstance(v, str)}
    if not sizes:
        return "", 0, 0
    name = max(sizes, key=sizes.__getitem__)
    return name, sizes[name], sum(sizes.values())


def oversize_reason(where: str, fields: dict[str, Any], limit: int = MAX_ITEM_BYTES) -> str | None:
    """Why an item is quarantined for its size, naming its largest field; None when it fits."""
    name, largest, total = largest_field(fields)
    if total <= limit:
        return None
    return (
        f"{where} field {name}: {largest:,} bytes (item {total:,}), over the item limit of "
        f"{limit:,} bytes; item quarantined"
    )


def clipped(fields: dict[str, Any], keep: int = 1_000) -> dict[str, Any]:
    """A record for quarantine with each long text shortened: the reason says how long it was."""
    return {
        k: v[:keep] + "…" if isinstance(v, str) and len(v) > keep else v for k, v in fields.items()
    }


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
