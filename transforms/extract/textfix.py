"""Text repair before extraction: mojibake undone, odd spaces made plain."""

from __future__ import annotations

import re

import ftfy

from transforms.extract.lexicon import mojibake

SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")


def repair(text: str) -> str:
    """Mis-decoded quotes and accents fixed (ftfy, then the known PDF sequences); spaces tidied."""
    if not text.isascii():
        text = ftfy.fix_text(text, normalization="NFC")
        for broken, fixed in mojibake():
            if broken in text:
                text = text.replace(broken, fixed)
    return SPACES.sub(" ", text)
