-- Rows in, loaded and quarantined per source and table for one flow run ($flow_run_id),
-- or for the newest run of each source when $flow_run_id is NULL. A run that loaded no table
-- (inputs unchanged, or failed before loading) shows once, with no counts.
SELECT r.source, t.table_name AS "table", t.rows_in AS "in", t.rows_loaded AS loaded,
       t.rows_quarantined AS quarantined, r.status
FROM load_runs r
LEFT JOIN load_run_tables t USING (load_run_id)
WHERE CASE WHEN $flow_run_id IS NULL
           THEN r.finished_at = (SELECT max(finished_at) FROM load_runs x WHERE x.source = r.source)
           ELSE r.flow_run_id = $flow_run_id END
ORDER BY r.source, t.table_name;
