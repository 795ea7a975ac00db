"""What a file is, from its first bytes rather than its name: JSON, xlsx workbook or text/CSV."""

from __future__ import annotations

import codecs
import io
import zipfile
from typing import Literal

from transforms.parsed import InputError

ZIP = b"PK\x03\x04"  # xlsx (and any OOXML) is a zip archive
OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # Excel's "Unicode text" CSVs
# Parts of a workbook inflating past this are a zip bomb, not data: the statistics
# workbooks sitrep reads inflate to tens of MB at most.
MAX_INFLATED = 2**30


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


def check_workbook_size(raw: bytes, name: str, limit: int = MAX_INFLATED) -> None:
    """InputError when the workbook's parts would inflate past `limit` (read from the zip's
    directory, nothing inflated), so a small file cannot fill the memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            inflated = sum(item.file_size for item in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name}: not a readable xlsx workbook ({exc})") from exc
    if inflated > limit:
        raise InputError(
            f"{name}: workbook inflates to {inflated} bytes, over the limit of {limit} "
            "(a zip bomb or not a statistics workbook)"
        )


def utf8(raw: bytes, name: str) -> bytes:
    """UTF-16 text (told by its byte-order mark) re-encoded as UTF-8; any other bytes as they
    are. Without this a UTF-16 CSV's NUL bytes read as a binary file."""
    if not raw.startswith(UTF16_BOMS):
        return raw
    try:
        return raw.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: opens with a UTF-16 byte-order mark but is not UTF-16 text ({exc})"
        ) from exc


def refuse_nul(raw: bytes, name: str, offset: int = 0) -> None:
    """InputError when the bytes hold a NUL: no text format sitrep reads allows a raw NUL (JSON
    and XML escape it, CSV and article text have none), so it marks a binary file or UTF-16/32
    text. `offset` is where `raw` starts in the file, for the message."""
    at = raw.find(b"\x00")
    if at < 0:
        return
    if raw.startswith(UTF16_BOMS) and not offset:
        raise InputError(f"{name}: UTF-16 text, which this kind does not read; save it as UTF-8")
    raise InputError(
        f"{name}: a NUL byte at offset {offset + at}, so not text "
        "(a binary file, or UTF-16/32 text without a byte-order mark)"
    )
