-- Every expectation result of one flow run ($flow_run_id), or of the newest run of each source
-- when $flow_run_id is NULL: what the Data Docs and the failed-expectations artifact show.
SELECT r.source, v.load_run_id, r.started_at, v."table", v.expectation, v."column", v.success,
       v.unexpected_count, v.details
FROM validation_results v
JOIN load_runs r USING (load_run_id)
WHERE CASE WHEN $flow_run_id IS NULL
           THEN r.finished_at = (SELECT max(finished_at) FROM load_runs x WHERE x.source = r.source)
           ELSE r.flow_run_id = $flow_run_id END
ORDER BY r.source, v."table", v.expectation, v."column";
