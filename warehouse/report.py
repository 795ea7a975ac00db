"""The situation report: a Markdown and a self-contained HTML page per country, and an overview."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from transforms.errors import SitrepError
from warehouse import charts, report_format, report_state
from warehouse.connection_limits import DEFAULT_LIMITS, Limits
from warehouse.db import WarehouseMissingError, connect
from warehouse.preferences import Preferences, read_preferences, sync_preferences
from warehouse.report_data import (
    CountryPage,
    Overview,
    PageReader,
    computed_once,
    country_page,
    overview,
)
from warehouse.report_pool import Progress, draw_pages

TEMPLATES = Path(__file__).parent / "templates"
PREFERENCES_WAIT = 30.0  # seconds to wait for another writer before reporting with the old copy
# DuckDB's memory while reporting: with the process's own, well under 1 GiB.
REPORT_MEMORY = "512MB"
# The code a page's look depends on (with the templates): a change redraws every page.
CODE = ("report.py", "report_data.py", "report_format.py", "charts.py")
log = logging.getLogger(__name__)


class ReportError(SitrepError, ValueError):
    """The report cannot be written as asked (for example: no data for that country)."""


def write_report(
    settings: Any,
    country: str | None = None,
    out: Path | None = None,
    changed_only: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the pages under `out` (default SITREP_HOME/reports), the overview last.

    Every country's page, or only `country`'s, or with `changed_only` only the pages whose
    figures, news or data quality changed since they were written (the others are kept).
    Returns the overview page (index.html), or the country's HTML page when `country` is given.
    The outcome (pages written, or the error) is kept in the folder's state file.
    """
    out_dir = Path(out or settings.reports_dir)
    say = progress or _silent
    state = report_state.read(out_dir)
    try:
        written = _write_pages(settings, out_dir, country, state, changed_only, say)
    except Exception as exc:
        state.failed(exc)
        if out_dir.is_dir():
            report_state.write(out_dir, state)
        raise
    report_state.write(out_dir, state)
    return written


def _write_pages(
    settings: Any,
    out_dir: Path,
    country: str | None,
    state: report_state.ReportState,
    changed_only: bool,
    say: Progress,
) -> Path:
    """The pages asked (or those changed since `state`), then the overview; `state` learns
    which pages were drawn from which digests."""
    started = time.time()
    limits = settings.warehouse_limits
    prefs = _synced_preferences(settings.warehouse, limits)
    cites = source_citations(settings)
    with connect(settings.warehouse, True, limits, memory=REPORT_MEMORY) as con:
        computed_once(con)
        summary = overview(con, prefs, cites)
        codes = [c["iso3"] for c in summary.countries]
        if country is not None and country not in codes:
            known = ", ".join(codes) or "none"
            raise ReportError(f"no data for {country} in the warehouse; countries: {known}")
        digests = report_state.country_digests(con, codes, _inputs_digest(prefs, cites))
        todo = [country] if country else codes
        if changed_only:
            todo = [c for c in codes if state.countries.get(c) != digests[c]
                    or not (out_dir / f"{c}.html").exists()]  # fmt: skip
        say("report: %d of %d countr%s to draw", len(todo), len(codes), _ies(len(codes)))
        out_dir.mkdir(parents=True, exist_ok=True)
        if todo:
            reader = PageReader(con, todo, summary)
            pages = (reader.page(iso3) for iso3 in todo)
            draw_pages(pages, len(todo), _lean(summary), out_dir, _chart_cache(settings), say)
    state.drawn_now({c: digests[c] for c in todo}, keep=set(codes))
    if not changed_only and country is None:
        _prune(_chart_cache(settings), before=started)
    if country is not None:
        return out_dir / f"{country}.html"
    _write(out_dir / "index.md", render("index.md", overview=summary))
    _write(out_dir / "index.html", render("index.html", overview=summary))
    say("report: overview of %d countr%s written", len(codes), _ies(len(codes)))
    return out_dir / "index.html"


def _silent(message: str, *args: object) -> None:
    """No progress lines."""


def _ies(n: int) -> str:
    return "y" if n == 1 else "ies"


def _lean(summary: Overview) -> Overview:
    """The overview as country pages need it (its countries are the overview page's only)."""
    return replace(summary, countries=[])


def _chart_cache(settings: Any) -> Path:
    """Charts by content hash, kept between reports under SITREP_HOME."""
    return Path(settings.home) / "cache" / "charts"


def _prune(folder: Path, before: float) -> None:
    """Drop the cached charts a report of every country did not use."""
    for file in folder.glob("*.png"):
        if file.stat().st_mtime < before - 1:
            file.unlink(missing_ok=True)


def _inputs_digest(prefs: Preferences, cites: dict[str, dict[str, Any]]) -> str:
    """What every page depends on besides its country's rows: preferences, citations, the
    templates and the code that draws pages; a change to any of them redraws every page."""
    digest = hashlib.sha256(repr((prefs, sorted(cites.items()))).encode())
    files = sorted(TEMPLATES.iterdir()) + [Path(__file__).parent / f for f in CODE]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def report_markdown(
    db_path: Path, country: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> str:
    """The overview (or one country's page) as Markdown without charts, e.g. for an artifact."""
    prefs = read_preferences()
    with connect(db_path, read_only=True, limits=limits) as con:
        computed_once(con)
        summary = overview(con, prefs)
        page = country_page(con, country) if country else None
    if country is None:
        return render("index.md", overview=summary)
    if page is None:
        raise ReportError(f"no data for {country} in the warehouse")
    return render("country.md", page=page, overview=summary)


def source_citations(settings: Any) -> dict[str, dict[str, Any]]:
    """Provider, dataset, link and kind per configured source (empty when there is no config:
    the settings' ConfigError is a ValueError, so the warehouse needs nothing from flows/)."""
    try:
        sources = settings.sources()
    except (ValueError, OSError) as exc:
        log.info("no source citations: %s", exc)
        return {}
    return {
        s.name: {"provider": s.provider, "dataset": s.dataset, "link": s.link, "kind": s.kind}
        for s in sources
    }


def _synced_preferences(db_path: Path, limits: Limits) -> Preferences:
    """Copy preferences.toml into the warehouse; when another process holds it, keep its copy."""
    if not db_path.exists():
        raise WarehouseMissingError(
            f"no warehouse at {db_path}: run `sitrep run` (or `make run`) first"
        )
    try:
        sync_preferences(db_path, limits=replace(limits, lock_wait=PREFERENCES_WAIT))
    except (duckdb.IOException, TimeoutError) as exc:
        log.warning("preferences not updated in the warehouse (it is in use): %s", exc)
    return read_preferences()


def write_country(
    page: CountryPage, summary: Overview, out_dir: Path, chart_cache: Path | None
) -> str:
    """The country's charts (PNG beside the Markdown, embedded in the HTML) and both pages;
    charts whose data did not change come from `cache`. Returns the country's code."""
    labels = {
        name: " · ".join(x for x in (c.get("provider"), name) if x)
        for name, c in summary.citations.items()
    }
    drawn = {
        "trend": cached_chart(
            chart_cache,
            charts.trend_png,
            page.trend,
            f"Internally displaced people — {page.name}",
            preferred=page.summary["idps_source"],
            labels=labels,
        ),
        "new-displacement": cached_chart(
            chart_cache,
            charts.new_displacement_png,
            page.new_displacement,
            f"New displacements per month — {page.name}",
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
    return page.iso3


def cached_chart(
    folder: Path | None, draw: Callable[..., bytes | None], *args: Any, **kw: Any
) -> bytes | None:
    """`draw(*args, **kw)`, or the PNG it drew before from the same data (empty file: no chart)."""
    if folder is None:
        return draw(*args, **kw)
    key = json.dumps([draw.__name__, _charts_code(), args, kw], default=str, sort_keys=True)
    file = folder / f"{hashlib.sha256(key.encode()).hexdigest()}.png"
    if file.exists():
        os.utime(file)  # kept by the next full report's pruning
        return file.read_bytes() or None
    png = draw(*args, **kw)
    folder.mkdir(parents=True, exist_ok=True)
    _write(file, png or b"")
    return png


@cache
def _charts_code() -> str:
    """The drawing code's own digest: charts drawn by older code are not reused."""
    return hashlib.sha256(Path(charts.__file__).read_bytes()).hexdigest()


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
