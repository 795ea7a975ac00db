-- A dimension's rows replaced by the bundled reference rows (registered as reference_rows).
DELETE FROM {table};
INSERT INTO {table} BY NAME SELECT * FROM reference_rows;
