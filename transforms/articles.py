"""Article files in the seed format: a summary paragraph, body paragraphs, `Original Source: X`."""

from __future__ import annotations

import codecs
import re
from typing import Any

from transforms.article_table import article, build, title_from
from transforms.lineage import Origin
from transforms.parsed import Parsed, Reject
from transforms.sniff import refuse_nul
from transforms.text_limits import MAX_ITEM_BYTES
from transforms.text_repair import repair_mojibake

# Greedy to the last non-space (lines come stripped): a lazy `.*?` before `\s*$` rescans a long
# run of inner spaces from each of its positions.
SOURCE_LINE = re.compile(r"^\s*original source\s*:\s*(?P<where>\S(?:.*\S)?)", re.IGNORECASE)


def parse(raw: bytes, origin: Origin) -> Parsed:
    """One article file into one `articles` row and its facts, or one reject saying why not
    (a file over MAX_ITEM_BYTES is one)."""
    try:
        if len(raw) > MAX_ITEM_BYTES:
            raise ValueError(
                f"{origin.name} field text: {len(raw):,} bytes, over the item limit of "
                f"{MAX_ITEM_BYTES:,} bytes; article quarantined"
            )
        row = article_row(decode(raw, origin.name), origin.name)
    except ValueError as exc:
        record = {"file": origin.source_url, "text": raw[:2000].decode("utf-8", "replace")}
        return Parsed(rejects={"articles": [Reject(1, str(exc), record)]})
    return build([row], origin)


def decode(raw: bytes, name: str = "article") -> str:
    """Bytes to text: UTF-16 with a BOM, UTF-8 (with or without BOM), else cp1252; mojibake
    repaired. Other bytes with a NUL are not text: InputError (the file is rejected)."""
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = raw.decode("utf-16", errors="replace")
    else:
        refuse_nul(raw, name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    return repair_mojibake(text)


def article_row(text: str, name: str) -> dict[str, Any]:
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
    return article(match["where"], title_from(summary), summary, body)
