-- One expectation result of a run's table.
INSERT INTO validation_results
    (load_run_id, "table", expectation, "column", success, unexpected_count, details)
VALUES ($load_run_id, $table, $expectation, $column, $success, $unexpected_count, $details)
