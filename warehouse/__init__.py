"""The DuckDB warehouse: migrations, views, loads, queries and the situation report."""
