"""The situation report: a Markdown and a self-contained HTML page per country, and an overview."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from transforms.errors import SitrepError
from warehouse import charts, report_format
from warehouse.db import WarehouseMissingError, connect
from warehouse.preferences import Preferences, read_preferences, sync_preferences
from warehouse.report_data import CountryPage, Overview, computed_once, country_page, overview

TEMPLATES = Path(__file__).parent / "templates"
PREFERENCES_WAIT = 30.0  # seconds to wait for another writer before reporting with the old copy
log = logging.getLogger(__name__)


class ReportError(SitrepError, ValueError):
    """The report cannot be written as asked (for example: no data for that country)."""


def write_report(settings: Any, country: str | None = None, out: Path | None = None) -> Path:
    """Write the pages under `out` (default SITREP_HOME/reports).

    Returns the overview page (index.html), or the country's HTML page when `country` is given.
    """
    db_path: Path = settings.warehouse
    out_dir = Path(out or settings.reports_dir)
    prefs = _synced_preferences(db_path)
    with connect(db_path, read_only=True) as con:
        computed_once(con)
        summary = overview(con, prefs)
        codes = [c["iso3"] for c in summary.countries]
        if country is not None and country not in codes:
            known = ", ".join(codes) or "none"
            raise ReportError(f"no data for {country} in the warehouse; countries: {known}")
        pages = [country_page(con, iso3) for iso3 in ([country] if country else codes)]
    out_dir.mkdir(parents=True, exist_ok=True)
    for page in pages:
        if page is not None:
            _write_country(page, summary, out_dir)
    if country is not None:
        return out_dir / f"{country}.html"
    _write(out_dir / "index.md", render("index.md", overview=summary))
    _write(out_dir / "index.html", render("index.html", overview=summary))
    return out_dir / "index.html"


def report_markdown(db_path: Path, country: str | None = None) -> str:
    """The overview (or one country's page) as Markdown without charts, e.g. for an artifact."""
    prefs = read_preferences()
    with connect(db_path, read_only=True) as con:
        computed_once(con)
        summary = overview(con, prefs)
        page = country_page(con, country) if country else None
    if country is None:
        return render("index.md", overview=summary)
    if page is None:
        raise ReportError(f"no data for {country} in the warehouse")
    return render("country.md", page=page, overview=summary)


def _synced_preferences(db_path: Path) -> Preferences:
    """Copy preferences.toml into the warehouse; when another process holds it, keep its copy."""
    if not db_path.exists():
        raise WarehouseMissingError(
            f"no warehouse at {db_path}: run `sitrep run` (or `make run`) first"
        )
    try:
        sync_preferences(db_path, wait=PREFERENCES_WAIT)
    except (duckdb.IOException, TimeoutError) as exc:
        log.warning("preferences not updated in the warehouse (it is in use): %s", exc)
    return read_preferences()


def _write_country(page: CountryPage, summary: Overview, out_dir: Path) -> None:
    """The country's charts (PNG beside the Markdown, embedded in the HTML) and both pages."""
    drawn = {
        "trend": charts.trend_png(page.trend, f"Internally displaced people — {page.name}"),
        "new-displacement": charts.new_displacement_png(
            page.new_displacement, f"New displacements per month — {page.name}"
        ),
    }
    for key, png in drawn.items():
        if png is None:
            continue
        file = out_dir / f"{page.iso3}-{key}.png"
        _write(file, png)
        page.charts[key] = file.name
    _write(out_dir / f"{page.iso3}.md", render("country.md", page=page, overview=summary))
    page.charts = {
        key: "data:image/png;base64," + base64.b64encode(png).decode()
        for key, png in drawn.items()
        if png is not None
    }
    _write(out_dir / f"{page.iso3}.html", render("country.html", page=page, overview=summary))


def render(template: str, **context: Any) -> str:
    """One page from `warehouse/templates/`; HTML templates escape every value."""
    return _environment().get_template(template).render(**context)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(report_format.FILTERS)
    return env


def _write(path: Path, content: str | bytes) -> None:
    """Write to a temporary name, then rename: a reader never sees half a page or chart."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(content.encode() if isinstance(content, str) else content)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
