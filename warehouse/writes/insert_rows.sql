-- A lake file's rows into {table}, columns matched by name.
INSERT INTO {table} BY NAME SELECT * FROM read_parquet($lake)
