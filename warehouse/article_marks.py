"""How far an article source has read: the newest publication time it has loaded."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from warehouse.db import connect


def newest_published(db_path: Path, source: str) -> pd.Timestamp | None:
    """Newest `published_at` of the source's articles, None before its first load."""
    if not db_path.exists():
        return None
    sql = (Path(__file__).parent / "queries" / "article_high_water.sql").read_text()
    with connect(db_path, read_only=True) as con:
        try:
            row = con.execute(sql, {"source": source}).fetchone()
        except duckdb.CatalogException:
            return None
    if row is None or row[0] is None:
        return None
    stamp = pd.Timestamp(row[0])
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
