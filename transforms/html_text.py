"""Plain text from the HTML fragments feeds carry (descriptions, content), paragraphs kept.

One regex scan over the fragment, in time linear in its length whatever it holds: the
standard library's HTMLParser goes quadratic on text with many unclosed `<` (a 50 KB
description of `a <b` took over a minute) and raises on some declarations (`<![`). A `<`
that does not open a well-formed tag before the next `<` is text, as browsers read it.
"""

from __future__ import annotations

import html
import re

BLOCKS = frozenset("p div br li h1 h2 h3 h4 h5 h6 tr blockquote section article".split())  # noqa: SIM905
SKIP = frozenset(("script", "style", "noscript"))
RAW_TEXT = frozenset(("script", "style"))  # their content is not markup: skipped to the end tag
# Possessive repeats: an attempt never backtracks, and stops at the next `<` or `>` outside
# a quoted attribute value.
TAG = re.compile(
    r"<(?:!--.*?(?:-->|\Z)|[!?][^<>]*+>"
    r"|(?P<close>/?)(?P<name>[a-zA-Z][^\s/<>]*+)(?:[^<>\"']++|\"[^\"]*+\"|'[^']*+')*+>)",
    re.DOTALL,
)
RAW_END = {name: re.compile(rf"</{name}[^<>]*+>", re.IGNORECASE) for name in RAW_TEXT}
BLANK_LINE = re.compile(r"\n[^\S\n]*+(?:\n\s*+)?")


def to_text(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, one blank line between blocks."""
    text = html.unescape(fragment) if "<" not in fragment else "".join(_pieces(fragment))
    return paragraphs(text)


def _pieces(fragment: str) -> list[str]:
    """The text pieces of a fragment in order, with a blank line at each block's edges."""
    parts: list[str] = []
    skipping = 0
    pos = 0
    while (m := TAG.search(fragment, pos)) is not None:
        if not skipping and m.start() > pos:
            parts.append(html.unescape(fragment[pos : m.start()]))
        pos = m.end()
        name = (m["name"] or "").lower()
        if name in SKIP:
            skipping = max(0, skipping - 1) if m["close"] else skipping + 1
            if name in RAW_TEXT and not m["close"]:
                end = RAW_END[name].search(fragment, pos)
                pos, skipping = (end.end(), skipping - 1) if end else (len(fragment), skipping)
        elif name in BLOCKS:
            parts.append("\n\n")
    if not skipping and pos < len(fragment):
        parts.append(html.unescape(fragment[pos:]))
    return parts


def paragraphs(text: str) -> str:
    """Whitespace collapsed within paragraphs, one blank line between them."""
    out = []
    start = 0
    for m in BLANK_LINE.finditer(text):
        if m.group().count("\n") >= 2:
            out.append(" ".join(text[start : m.start()].split()))
            start = m.end()
    out.append(" ".join(text[start:].split()))
    return "\n\n".join(p for p in out if p)
