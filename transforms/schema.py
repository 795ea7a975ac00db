"""Canonical table schemas, declared once and checked at every boundary."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from transforms.errors import SitrepError

UTC_TS = pa.timestamp("us", tz="UTC")

LINEAGE = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("source_record_id", pa.string(), nullable=False),
    pa.field("source_url", pa.string()),
    pa.field("retrieved_at", UTC_TS),
    pa.field("load_run_id", pa.string()),
    pa.field("record_hash", pa.string()),
]

DISPLACEMENT = pa.schema(
    [
        pa.field("iso3", pa.string()),
        pa.field("admin_level", pa.int8()),
        pa.field("admin1_pcode", pa.string()),
        pa.field("admin2_pcode", pa.string()),
        pa.field("admin1_name", pa.string()),
        pa.field("admin2_name", pa.string()),
        pa.field("place_name", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("cause", pa.string()),
        pa.field("figure", pa.int64()),
        pa.field("unit", pa.string()),
        pa.field("qualifier", pa.string()),
        pa.field("period_start", pa.date32()),
        pa.field("period_end", pa.date32()),
        pa.field("reported_on", pa.date32()),
        pa.field("round_number", pa.int32()),
        pa.field("assessment_type", pa.string()),
        pa.field("event_name", pa.string()),
        pa.field("extra", pa.string()),
        *LINEAGE,
    ]
)

ARTICLES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("title", pa.string()),
        pa.field("summary", pa.string()),
        pa.field("body", pa.string()),
        pa.field("published_at", UTC_TS),
        pa.field("language", pa.string()),
        pa.field("content_hash", pa.string()),
        pa.field("cluster_id", pa.string()),
        *LINEAGE,
    ]
)

ARTICLE_FACTS = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("fact_no", pa.int32(), nullable=False),
        pa.field("iso3", pa.string()),
        pa.field("place_name", pa.string()),
        pa.field("admin1_pcode", pa.string()),
        pa.field("admin2_pcode", pa.string()),
        pa.field("figure", pa.int64()),
        pa.field("unit", pa.string()),
        pa.field("term", pa.string()),
        pa.field("qualifier", pa.string()),
        pa.field("event_date", pa.date32()),
        pa.field("sentence", pa.string()),
        pa.field("confidence", pa.float64()),
        *LINEAGE,
    ]
)

ARTICLE_PLACES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("place_no", pa.int32(), nullable=False),
        pa.field("place_name", pa.string()),
        pa.field("iso3", pa.string()),
        pa.field("admin1_pcode", pa.string()),
        pa.field("admin2_pcode", pa.string()),
        pa.field("mentions", pa.int32()),
        pa.field("first_sentence", pa.string()),
        *LINEAGE,
    ]
)

TABLES: dict[str, pa.Schema] = {
    "displacement": DISPLACEMENT,
    "articles": ARTICLES,
    "article_facts": ARTICLE_FACTS,
    "article_places": ARTICLE_PLACES,
}

# Columns that identify a row inside its table (besides `source`).
KEYS: dict[str, tuple[str, ...]] = {
    "displacement": ("source", "source_record_id"),
    "articles": ("article_id",),
    "article_facts": ("article_id", "fact_no"),
    "article_places": ("article_id", "place_no"),
}

METRICS = ("idp_stock", "new_displacement", "returnees", "refugees", "asylum_seekers")
CAUSES = ("conflict", "disaster", "other", "unknown")
UNITS = ("people", "households")
QUALIFIERS = ("exact", "approximately", "more_than", "less_than", "up_to")
TERMS = (
    "displaced",
    "evacuated",
    "forced_to_flee",
    "sheltered",
    "in_relief_camp",
    "relocated",
    "homeless",
    "destroyed_housing",
    "partially_destroyed_housing",
    "uninhabitable_housing",
    "returned",
    "refugees",
)


class SchemaDriftError(SitrepError, ValueError):
    """A source's columns no longer match what its transform expects."""

    def __init__(self, where: str, missing: list[str], unexpected: list[str] | None = None):
        self.missing = missing
        self.unexpected = unexpected or []
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(repr(c) for c in missing))
        if self.unexpected:
            parts.append("unexpected column(s) " + ", ".join(repr(c) for c in self.unexpected))
        super().__init__(f"{where}: {'; '.join(parts)}")


def require_columns(where: str, present: list[str] | pd.Index, required: list[str]) -> None:
    """Raise SchemaDriftError naming every required column the source lacks."""
    have = set(present)
    missing = [c for c in required if c not in have]
    if missing:
        raise SchemaDriftError(where, missing)


def conform(df: pd.DataFrame, table: str) -> pa.Table:
    """Cast a frame to its table's Arrow schema, filling absent optional columns with nulls."""
    schema = TABLES[table]
    unexpected = [c for c in df.columns if schema.get_field_index(c) < 0]
    if unexpected:
        raise SchemaDriftError(f"table {table}", [], unexpected)
    arrays = []
    for field in schema:
        if field.name in df.columns:
            arrays.append(_to_arrow(df[field.name], field))
        else:
            arrays.append(pa.nulls(len(df), type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _to_arrow(col: pd.Series, field: pa.Field) -> pa.Array:
    if pa.types.is_date32(field.type) and col.dtype == object:
        try:  # datetime.date values (what the transforms give) convert as they are
            return pa.array(col, type=field.type, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
    if pa.types.is_timestamp(field.type):
        col = pd.to_datetime(col, utc=True)
    elif pa.types.is_date32(field.type):
        col = pd.to_datetime(col).dt.date
    return pa.array(col, type=field.type, from_pandas=True)


def empty(table: str) -> pd.DataFrame:
    """An empty frame with the table's columns."""
    return TABLES[table].empty_table().to_pandas()
