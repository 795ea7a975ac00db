"""The one mojibake repair: text that was UTF-8 once decoded as Latin-1, cp1252 or Mac Roman
put right (`rÃ©gion` → `région`, `groupâ€™s` → `group’s`); other text left as it is."""

from __future__ import annotations

import re

import ftfy

# A lead byte of UTF-8 read as Latin-1/cp1252 followed by a continuation byte read the same way.
CONTINUATIONS = (
    "".join(map(chr, range(0x80, 0xC0)))
    + "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    + "".join(map(chr, range(0x2018, 0x201F)))
    + "\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{re.escape(CONTINUATIONS)}]|\u00e2\u20ac")


def repair_mojibake(text: str) -> str:
    """The text with mis-decoded sequences re-decoded (ftfy's `fix_encoding`, run only when
    a sign of mojibake is there, so clean text costs one regex scan and is never altered)."""
    if text.isascii() or not MOJIBAKE.search(text):
        return text
    return ftfy.fix_encoding(text)
