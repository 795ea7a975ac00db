-- The rows of {table} that the lake file holds a new version of (by the table's keys).
DELETE FROM {table} t
WHERE EXISTS (SELECT 1 FROM read_parquet($lake) n WHERE {match})
