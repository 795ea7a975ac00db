-- Countries of the {table} rows a lake file replaces (by the table's keys) or brings.
SELECT DISTINCT iso3 FROM {table} t
WHERE EXISTS (SELECT 1 FROM read_parquet($lake) n WHERE {match})
UNION
SELECT DISTINCT iso3 FROM read_parquet($lake)
