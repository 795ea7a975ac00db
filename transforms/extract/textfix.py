"""Text repair before extraction: mojibake undone, odd spaces made plain."""

from __future__ import annotations

import re
import unicodedata

from transforms.extract.lexicon import mojibake
from transforms.text_repair import repair_mojibake

# Signs of mis-decoded text: UTF-8 read as Latin-1/cp1252/Mac Roman, replacement characters.
SUSPECT = re.compile(r"[ÃÂâÅÐÑ][\x80-\xbf\u0152-\u2122]|â€|Š—|’[_±©À¡íú]|\ufffd|[ÃÂ]\s")
SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")


def repair(text: str) -> str:
    """Mis-decoded quotes and accents fixed (the known PDF sequences, then the one mojibake
    repair, `transforms.text_repair`), accents composed (NFC); spaces tidied."""
    if not text.isascii() and SUSPECT.search(text):
        for broken, fixed in mojibake():
            if broken in text:
                text = text.replace(broken, fixed)
        text = unicodedata.normalize("NFC", repair_mojibake(text))
    return SPACES.sub(" ", text)
