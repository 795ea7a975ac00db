-- Rows about to be replaced by a different version of the same record go to history.
INSERT INTO displacement_history BY NAME
SELECT d.source, d.source_record_id, d.figure, d.unit, d.qualifier, d.period_start,
       d.period_end, d.reported_on, d.record_hash, d.load_run_id,
       to_json(d) AS record, $load_run_id AS replaced_by_load_run_id, now() AS replaced_at
FROM displacement d
JOIN read_parquet($lake) n USING (source, source_record_id)
WHERE d.record_hash IS DISTINCT FROM n.record_hash
ON CONFLICT DO NOTHING
