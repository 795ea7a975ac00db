"""The situation report: latest figures per country, the articles behind the news, data quality."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.db import connect
from warehouse.query import named_sql
from warehouse.status import rows_as_dicts


def write_report(settings: Any, country: str | None = None, out: Path | None = None) -> Path:
    """Write the Markdown report under `out` (default SITREP_HOME/reports); returns its path."""
    out_dir = out or settings.reports_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    with connect(settings.warehouse, read_only=True) as con:
        figures = rows_as_dicts(con.execute(named_sql("latest_idps"), {"iso3": country}))
        articles = rows_as_dicts(
            con.execute(
                "SELECT title, url, publisher, coalesce(published_at, retrieved_at) AS seen "
                "FROM articles ORDER BY seen DESC LIMIT 20"
            )
        )
        quality = rows_as_dicts(
            con.execute(
                'SELECT "table", count(*) AS rows, any_value(reason) AS example FROM quarantine '
                'GROUP BY "table" ORDER BY "table"'
            )
        )
    path = out_dir / (f"sitrep-{country}.md" if country else "sitrep.md")
    path.write_text(render(figures, articles, quality, country))
    return path


def render(
    figures: list[dict[str, Any]],
    articles: list[dict[str, Any]],
    quality: list[dict[str, Any]],
    country: str | None,
) -> str:
    """The report as Markdown."""
    scope = country or "all countries"
    lines = [
        f"# Displacement situation report — {scope}",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by sitrep.",
        "",
        "## Internally displaced people: latest figures",
        "",
    ]
    if figures:
        lines += [
            "| country | source | as of | figure | unit | basis |",
            "|---|---|---|---:|---|---|",
        ]
        lines += [
            f"| {f['iso3']} | {f['source']} | {f['as_of']} | {f['figure']:,} | "
            f"{f['unit']} | {f['basis']} |"
            for f in figures
        ]
    else:
        lines.append("No IDP figures loaded.")
    lines += ["", "## News", ""]
    lines += [f"- [{_md(a['title'])}]({_link(a['url'])}) — {a['publisher']}" for a in articles]
    if not articles:
        lines.append("No articles loaded.")
    lines += ["", "## Data quality", ""]
    lines += [
        f"- {q['table']}: {q['rows']} row(s) quarantined, e.g. {_md(q['example'])}" for q in quality
    ]
    if not quality:
        lines.append("No rows quarantined.")
    return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _link(url: str) -> str:
    return url if "://" in url else f"https://{url}"
