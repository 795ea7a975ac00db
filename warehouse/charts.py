"""The report's charts as PNG bytes (matplotlib, Agg canvas, imported only when drawing)."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PREFERRED_COLOUR = "#1f4e79"
FAINT_COLOURS = ["#7f7f7f", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6"]
# Figures spanning this many times or more are drawn on a log scale (three orders of magnitude).
LOG_SPAN = 1000
MAX_NEWS_LABELS = 4
CAUSE_COLOURS = {"conflict": "#c0392b", "disaster": "#2471a3", "other": "#7d3c98"}


def trend_png(
    trend: list[dict[str, Any]],
    title: str,
    preferred: str | None = None,
    labels: dict[str, str] | None = None,
) -> bytes | None:
    """Country IDP figures over time: the preferred source's series in full colour, the other
    sources faint, news figures as marked points; linear unless they span 1,000 times."""
    people = [r for r in trend if r["unit"] == "people" and r["date"] and r["figure"] is not None]
    series = _official_series(people)
    news = [r for r in people if r["series"] == "news"]
    if not series and not news:
        return None
    names = labels or {}
    fig, ax = _figure()
    ordered = sorted(series, key=lambda source: source == preferred)  # preferred drawn last
    for colour, source in zip(FAINT_COLOURS * 3, ordered, strict=False):
        xs, ys = zip(*sorted(series[source]), strict=True)
        label = names.get(source, source)
        if source == preferred:
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=2.6, color=PREFERRED_COLOUR,
                    label=f"{label} (preferred)", zorder=4)  # fmt: skip
        else:
            ax.plot(xs, ys, marker="o", markersize=2, linewidth=1, color=colour, alpha=0.35,
                    label=label)  # fmt: skip
    if news:
        _news_points(ax, news)
    _pad_dates(ax, [r["date"] for r in people])
    _finish(ax, title, [r["figure"] for r in people])
    return _png(fig)


def _news_points(ax: Axes, news: list[dict[str, Any]]) -> None:
    """News figures as red crosses, the largest few labelled with figure and place."""
    ax.scatter(
        [r["date"] for r in news],
        [r["figure"] for r in news],
        marker="X",
        s=70,
        color="#d62728",
        zorder=5,
        label="news figures",
    )
    for r in sorted(news, key=lambda r: -r["figure"])[:MAX_NEWS_LABELS]:
        ax.annotate(
            f"{r['figure']:,} ({r['place']})",
            (r["date"], r["figure"]),
            textcoords="offset points",
            xytext=(8, -12),
            fontsize=8,
            color="#8e1b10",
        )


def _pad_dates(ax: Axes, dates: list[date]) -> None:
    """A few months either side when every point falls within two months; otherwise room on
    the right for the labels of the newest points."""
    from matplotlib.dates import date2num

    first, last = min(dates), max(dates)
    if (last - first).days < 60:
        ax.set_xlim(date2num(first - timedelta(days=120)), date2num(last + timedelta(days=120)))
    else:
        room = timedelta(days=max(90, (last - first).days // 8))
        ax.set_xlim(right=date2num(last + room))


def _official_series(people: list[dict[str, Any]]) -> dict[str, list[tuple[date, int]]]:
    """The country series of each source (its totals, own or rolled up from admin1)."""
    series: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for r in people:
        if r["series"] == "country":
            series[r["source"]].append((r["date"], r["figure"]))
    return dict(series)


def new_displacement_png(monthly: list[dict[str, Any]], title: str) -> bytes | None:
    """New displacements (people) per month by cause; per cause, the largest source figure."""
    rows = [r for r in monthly if r["unit"] == "people"]
    if not rows:
        return None
    months = sorted({r["month"] for r in rows})
    fig, ax = _figure()
    bottom = [0] * len(months)
    for cause in sorted({r["cause"] for r in rows}):
        per_month: dict[date, int] = defaultdict(int)
        for r in rows:
            if r["cause"] == cause:
                per_month[r["month"]] = max(per_month[r["month"]], r["figure"])
        heights = [per_month[m] for m in months]
        ax.bar(
            months, heights, width=20, bottom=bottom, label=cause, color=CAUSE_COLOURS.get(cause)
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    _finish(ax, title, bottom, log_allowed=False)
    return _png(fig)


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _finish(ax: Axes, title: str, values: list[int], log_allowed: bool = True) -> None:
    """Title, thousands on the y axis, log scale when figures span three orders of magnitude."""
    from matplotlib.ticker import FuncFormatter

    positive = [v for v in values if v and v > 0]
    if log_allowed and positive and max(positive) / min(positive) >= LOG_SPAN:
        ax.set_yscale("log")
        title += " (log scale)"
    else:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
