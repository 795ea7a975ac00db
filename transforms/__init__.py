"""Pure transforms: raw bytes in, canonical tables out. No Prefect, no network; DuckDB only as
a SQL engine over the input (DTM's mapping, on a connection of its own or the stage's)."""
