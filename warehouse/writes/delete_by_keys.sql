-- The rows of {table} that the lake file holds a new version of (by the table's keys).
DELETE FROM {table} WHERE ({keys}) IN (SELECT ({keys}) FROM read_parquet($lake))
