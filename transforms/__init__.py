"""Pure transforms: raw bytes in, canonical tables out. No Prefect, no DuckDB, no network."""
