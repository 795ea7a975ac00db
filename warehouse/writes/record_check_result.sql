-- One plausibility check's result for a run (warehouse/figure_checks.py), replacing any earlier.
INSERT OR REPLACE INTO validation_results
    (load_run_id, "table", expectation, "column", success, unexpected_count, details)
VALUES ($load_run_id, $table, $expectation, $column, $success, $unexpected_count, $details)
