"""What a file is, from its first bytes rather than its name: JSON, xlsx workbook or text/CSV."""

from __future__ import annotations

from typing import Literal

from transforms.parsed import InputError

ZIP = b"PK\x03\x04"  # xlsx (and any OOXML) is a zip archive
OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls


def content_kind(raw: bytes, name: str) -> Literal["json", "xlsx", "csv"]:
    """`json` when it opens with { or [, `xlsx` for a zip, `csv` for other text."""
    if not raw.strip():
        raise InputError(f"{name}: not valid JSON, CSV or xlsx (empty file)")
    if raw.startswith(ZIP):
        return "xlsx"
    if raw.startswith(OLE):
        raise InputError(f"{name}: legacy .xls workbook; save it as .xlsx or CSV")
    head = raw[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"<":
        raise InputError(
            f"{name}: not valid JSON, CSV or xlsx (an HTML or XML page: "
            "the service probably sent an error page)"
        )
    return "csv"
