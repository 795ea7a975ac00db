"""Values from the warehouse made safe to show on a terminal: no markup, no control codes."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates that reorder what is shown (left-to-right and right-to-left marks stay).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with each control character written out as an escape (`\\x1b`, `\\u202e`)."""
    return CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def cell(value: Any) -> Text:
    """A table cell: plain text that rich never reads as markup, emoji codes or links."""
    return Text("" if value is None else visible(str(value)))
