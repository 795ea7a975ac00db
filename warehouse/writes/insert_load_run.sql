-- One source run and how it ended.
INSERT INTO load_runs
    (load_run_id, flow_run_id, source, kind, started_at, finished_at, rows_in, rows_loaded,
     rows_quarantined, status, error)
VALUES ($load_run_id, $flow_run_id, $source, $kind, $started_at, $finished_at, $rows_in,
        $rows_loaded, $rows_quarantined, $status, $error)
