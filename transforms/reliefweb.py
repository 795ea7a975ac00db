"""ReliefWeb API v1 `reports` responses into `articles` rows and their facts."""

from __future__ import annotations

from typing import Any

from transforms.article_table import article, build, title_from
from transforms.html_text import to_text
from transforms.lineage import Origin
from transforms.parsed import Parsed, Reject
from transforms.readers import envelope, json_body
from transforms.text_limits import clipped, oversize_reason

SITE = "https://reliefweb.int"


def parse(raw: bytes, origin: Origin) -> Parsed:
    """Every report of the response; one without a title and body, or over MAX_ITEM_BYTES (its
    record clipped), is rejected."""
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for n, record in enumerate(reports(raw, origin.name), start=1):
        where = f"{origin.name} report {n}"
        record_id = str(record.get("id", "")) or None
        fields = record.get("fields")
        too_big = oversize_reason(where, fields) if isinstance(fields, dict) else None
        if too_big and isinstance(fields, dict):
            rejects.append(Reject(n, too_big, {**record, "fields": clipped(fields)}, record_id))
            continue
        try:
            rows.append(report_row(record, where))
        except ValueError as exc:
            rejects.append(Reject(n, str(exc), record, record_id))
    return build(rows, origin, rejects)


def reports(raw: bytes, name: str) -> list[dict[str, Any]]:
    """The `data` list of a ReliefWeb API envelope; InputError when the body is not one."""
    records = envelope(json_body(raw, name), name, "data", "a ReliefWeb API response")
    return [r for r in records if isinstance(r, dict)]


def report_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    """A report as an article row: body from `fields.body`, date from `fields.date`."""
    fields = record.get("fields")
    if not isinstance(fields, dict):
        raise ValueError(f"{where} field fields: missing")
    url = fields.get("url_alias") or fields.get("url") or _report_url(record)
    if not url:
        raise ValueError(f"{where} field url_alias: no address for the report")
    body = to_text(str(fields.get("body-html") or fields.get("body") or ""))
    title = to_text(str(fields.get("title") or ""))
    if not (body or title):
        raise ValueError(f"{where} field body: no title and no body")
    paragraphs = body.split("\n\n") if body else [title]
    summary = paragraphs[0]
    dates = fields.get("date")
    dates = dates if isinstance(dates, dict) else {}
    # Posted on ReliefWeb (`created`) is what the incremental query filters on.
    published = dates.get("created") or dates.get("original")
    return article(str(url), title or title_from(summary), summary, "\n\n".join(paragraphs[1:]),
                   published)  # fmt: skip


def _report_url(record: dict[str, Any]) -> str:
    return f"{SITE}/node/{record['id']}" if record.get("id") else ""
