-- Rows in, loaded and quarantined of one table of a run.
INSERT INTO load_run_tables (load_run_id, table_name, rows_in, rows_loaded, rows_quarantined)
VALUES ($load_run_id, $table, $rows_in, $rows_loaded, $rows_quarantined)
