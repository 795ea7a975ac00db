"""How long the warehouse layer waits for another process, and how much memory DuckDB may use.

warehouse/ reads no environment: these values come down from flows.settings.Settings
(`lock_wait` and `duckdb_memory`, set with SITREP_LOCK_WAIT and SITREP_DUCKDB_MEMORY).
"""

from __future__ import annotations

from dataclasses import dataclass

LOCK_WAIT_SETTING = "SITREP_LOCK_WAIT"
MEMORY_SETTING = "SITREP_DUCKDB_MEMORY"


@dataclass(frozen=True)
class Limits:
    """Seconds to wait for another process holding the warehouse, and a DuckDB memory cap
    that, when set, replaces each role's own (a load's, the report's, a query's)."""

    lock_wait: float = 600.0
    memory: str | None = None

    def memory_limit(self, default: str) -> str:
        """The memory cap of a role whose own cap is `default`."""
        return self.memory or default


DEFAULT_LIMITS = Limits()
