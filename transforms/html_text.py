"""Plain text from the HTML fragments feeds carry (descriptions, content), paragraphs kept."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

BLOCKS = frozenset("p div br li h1 h2 h3 h4 h5 h6 tr blockquote section article".split())  # noqa: SIM905
SKIP = frozenset(("script", "style", "noscript"))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def to_text(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, one blank line between blocks."""
    if "<" not in fragment:
        text = html.unescape(fragment)
    else:
        parser = _Text()
        parser.feed(fragment)
        parser.close()
        text = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)
