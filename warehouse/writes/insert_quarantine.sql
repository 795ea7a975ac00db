-- A quarantine file's rows, numbered in file order, under this run and table.
INSERT INTO quarantine
    (load_run_id, "table", row_no, source, source_url, source_record_id, reason, record)
SELECT $load_run_id, $table, row_number() OVER (), $source, source_url, source_record_id,
       reason, record
FROM read_parquet($path)
