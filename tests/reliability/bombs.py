"""Inputs built to exhaust memory: an xlsx whose sheet inflates far beyond its size, big files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>1</v></c></row>'


def xlsx_bomb(path: Path, rows: int) -> Path:
    """A valid workbook whose one sheet holds `rows` rows (about 64 bytes each once inflated)."""
    book = openpyxl.Workbook()
    book.active.append(["operation", "admin0Pcode", "numPresentIdpInd"])
    buf = io.BytesIO()
    book.save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(rows // 10_000):
                    sheet.write(ROW * 10_000)
                sheet.write(b"</sheetData>" + tail)
    return path


def inflated_size(path: Path) -> int:
    """Bytes the archive's members take once inflated."""
    with zipfile.ZipFile(path) as archive:
        return sum(item.file_size for item in archive.infolist())


def big_file(path: Path, size: int) -> Path:
    """A file of `size` bytes of DTM-like JSON text, written in 8 MiB blocks."""
    block = (b'{"operation": "Lake Chad Basin Crisis", "numPresentIdpInd": 148138},\n' * 120_000)[
        : 8 * 2**20
    ]
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = block[: size - written]
            out.write(chunk)
            written += len(chunk)
    return path
