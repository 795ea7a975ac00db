-- Countries of the {table} rows a lake file replaces (by the table's keys) or brings.
SELECT DISTINCT iso3 FROM {table} WHERE ({keys}) IN (SELECT ({keys}) FROM read_parquet($lake))
UNION
SELECT DISTINCT iso3 FROM read_parquet($lake)
