"""Fixtures for the reliability tests: fast HTTP settings and warehouse counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from flows.settings import Settings


@pytest.fixture
def fast_http(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with short timeouts and backoff and the loopback host allowed, also set in the
    environment for the pipeline."""
    values = {
        "HTTP_TIMEOUT": "0.5",
        "HTTP_RETRIES": "2",
        "HTTP_BACKOFF": "0.01",
        "ALLOWED_HOSTS": "127.0.0.1",  # the loopback test servers
    }
    for key, value in values.items():
        monkeypatch.setenv(f"SITREP_{key}", value)
    return Settings()


def table_counts(db: Path, tables: tuple[str, ...]) -> dict[str, int]:
    """Row counts of the given tables, read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.fixture
def counts() -> Callable[[Path, tuple[str, ...]], dict[str, int]]:
    return table_counts
