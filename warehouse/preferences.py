"""The preferred-figure and news-flag settings: `preferences.toml` copied into the warehouse."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from transforms.errors import SitrepError
from warehouse.db import connect, migrate, transaction

PREFERENCES = Path(__file__).parent / "preferences.toml"
SETTINGS = ("recency_window_days", "news_ratio_flag", "stale_after_days")


class PreferencesError(SitrepError, ValueError):
    """The preferences file is unreadable or holds a value of the wrong kind."""


@dataclass(frozen=True)
class Preferences:
    """Source priorities (lower wins) and the numeric thresholds the views read."""

    priority: dict[str, int]
    settings: dict[str, float]


def read_preferences(path: Path = PREFERENCES) -> Preferences:
    """Parse and check the file; errors name the file and the field."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PreferencesError(f"{path}: {exc}") from exc
    unknown = sorted(set(data) - {*SETTINGS, "source_priority"})
    if unknown:
        raise PreferencesError(f"{path}: unknown setting {', '.join(unknown)}")
    settings = {}
    for name in SETTINGS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PreferencesError(f"{path} field {name}: expected a number >= 0, got {value!r}")
        settings[name] = float(value)
    priority = data.get("source_priority", {})
    for source, rank in priority.items():
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise PreferencesError(
                f"{path} field source_priority.{source}: expected an integer, got {rank!r}"
            )
    return Preferences(dict(priority), settings)


def apply_preferences(con: duckdb.DuckDBPyConnection, prefs: Preferences) -> None:
    """Replace the warehouse's copy of the preferences in one transaction."""
    with transaction(con):
        con.execute("DELETE FROM source_priority")
        con.execute("DELETE FROM report_settings")
        if prefs.priority:
            con.executemany(
                "INSERT INTO source_priority VALUES (?, ?)", list(prefs.priority.items())
            )
        if prefs.settings:
            con.executemany(
                "INSERT INTO report_settings VALUES (?, ?)", list(prefs.settings.items())
            )


def sync_preferences(db_path: Path, path: Path = PREFERENCES, wait: float | None = None) -> None:
    """Bring the warehouse's preference tables in line with the file (one writer at a time).

    `wait` bounds how long to wait for another writer or reader (default: as for loads);
    past it, filelock.Timeout or WarehouseBusyError (both TimeoutError) is raised.
    """
    from warehouse.load import lock_for

    prefs = read_preferences(path)
    lock = lock_for(db_path)
    with lock.acquire(timeout=wait), connect(db_path, wait=wait) as con:
        migrate(con)
        apply_preferences(con, prefs)
