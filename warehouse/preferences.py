"""The preferred-figure and news-flag settings: `preferences.toml` copied into the warehouse."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from transforms.errors import SitrepError
from warehouse.connection_limits import DEFAULT_LIMITS, Limits
from warehouse.db import connect, migrate, statement, transaction
from warehouse.figures import refresh_if_stale

PREFERENCES = Path(__file__).parent / "preferences.toml"
SETTINGS = ("recency_window_days", "news_ratio_flag", "stale_after_days")
CHECKS = ("below_admin1_share", "round_change_limit", "jump_factor")
TIE_BREAKS = (
    "newer_date",
    "more_admin_units",
    "own_total",
    "baseline_first",
    "retrieved_later",
    "larger_figure",
)


class PreferencesError(SitrepError, ValueError):
    """The preferences file is unreadable or holds a value of the wrong kind."""


@dataclass(frozen=True)
class Preferences:
    """Source priorities (lower wins), tie-breaks in order and the thresholds the views read."""

    priority: dict[str, int]
    settings: dict[str, float]
    tie_breaks: tuple[str, ...] = ()


def read_preferences(path: Path = PREFERENCES) -> Preferences:
    """Parse and check the file; errors name the file and the field."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PreferencesError(f"{path}: {exc}") from exc
    unknown = sorted(set(data) - {*SETTINGS, "source_priority", "tie_breaks", "checks"})
    if unknown:
        raise PreferencesError(f"{path}: unknown setting {', '.join(unknown)}")
    checks = data.get("checks", {})
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise PreferencesError(f"{path}: unknown check {', '.join(unknown)}")
    settings = _numbers(path, data, SETTINGS, "") | _numbers(path, checks, CHECKS, "checks.")
    priority = data.get("source_priority", {})
    for source, rank in priority.items():
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise PreferencesError(
                f"{path} field source_priority.{source}: expected an integer, got {rank!r}"
            )
    return Preferences(dict(priority), settings, _tie_breaks(path, data.get("tie_breaks", [])))


def _numbers(
    path: Path, data: dict[str, Any], names: tuple[str, ...], prefix: str
) -> dict[str, float]:
    found = {}
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PreferencesError(
                f"{path} field {prefix}{name}: expected a number >= 0, got {value!r}"
            )
        found[name] = float(value)
    return found


def _tie_breaks(path: Path, value: Any) -> tuple[str, ...]:
    """The tie-breaks in order; each a known name, once."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PreferencesError(f"{path} field tie_breaks: expected a list of names, got {value!r}")
    wrong = [v for v in value if v not in TIE_BREAKS]
    if wrong or len(set(value)) != len(value):
        raise PreferencesError(
            f"{path} field tie_breaks: {', '.join(wrong) or 'a name repeated'}; "
            f"known: {', '.join(TIE_BREAKS)}"
        )
    return tuple(value)


def apply_preferences(con: duckdb.DuckDBPyConnection, prefs: Preferences) -> None:
    """Replace the warehouse's copy of the preferences in one transaction."""
    with transaction(con):
        copy_preferences(con, prefs)


def copy_preferences(con: duckdb.DuckDBPyConnection, prefs: Preferences) -> None:
    """Replace the warehouse's copy of the preferences inside the caller's transaction."""
    con.execute(statement("preferences_clear"))
    rows = {
        "insert_source_priority": [{"source": k, "priority": v} for k, v in prefs.priority.items()],
        "insert_report_setting": [{"name": k, "value": v} for k, v in prefs.settings.items()],
        "insert_tie_break": [
            {"position": n, "name": name} for n, name in enumerate(prefs.tie_breaks, 1)
        ],
    }
    for name, values in rows.items():
        if values:  # executemany refuses an empty list
            con.executemany(statement(name), values)


def sync_preferences(
    db_path: Path, path: Path = PREFERENCES, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Bring the warehouse's preference tables, and the figures computed with them, in line
    with the file (one writer at a time).

    `limits.lock_wait` bounds how long to wait for another writer or reader; past it,
    filelock.Timeout or WarehouseBusyError (both TimeoutError) is raised.
    """
    from warehouse.load import lock_for

    prefs = read_preferences(path)
    with lock_for(db_path, limits.lock_wait), connect(db_path, limits=limits) as con:
        migrate(con)
        with transaction(con):
            copy_preferences(con, prefs)
            refresh_if_stale(con)  # changed preferences change the preferred figures
