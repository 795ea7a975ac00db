-- Rows about to be replaced by a different version of the same record go to history: a
-- version whose content (every column but the lineage) differs. Equal hashes are equal
-- content; where the hashes differ the content decides, so a change in how `record_hash` is
-- computed (DTM rows: a pandas hash until December 2026, DuckDB's since) writes no history
-- for content that did not change.
INSERT INTO displacement_history BY NAME
SELECT d.source, d.source_record_id, d.figure, d.unit, d.qualifier, d.period_start,
       d.period_end, d.reported_on, d.record_hash, d.load_run_id,
       to_json(d) AS record, $load_run_id AS replaced_by_load_run_id, now() AS replaced_at
FROM displacement d
-- The lake rows with every column of the table (one the file lacks is NULL, as inserted).
JOIN (FROM (FROM displacement LIMIT 0) UNION ALL BY NAME FROM read_parquet($lake)) n
    USING (source, source_record_id)
WHERE d.record_hash IS DISTINCT FROM n.record_hash
  AND (d.iso3, d.admin_level, d.admin1_pcode, d.admin2_pcode, d.admin1_name, d.admin2_name,
       d.place_name, d.metric, d.cause, d.figure, d.unit, d.qualifier, d.period_start,
       d.period_end, d.reported_on, d.round_number, d.assessment_type, d.event_name, d.extra)
    IS DISTINCT FROM
      (n.iso3, n.admin_level, n.admin1_pcode, n.admin2_pcode, n.admin1_name, n.admin2_name,
       n.place_name, n.metric, n.cause, n.figure, n.unit, n.qualifier, n.period_start,
       n.period_end, n.reported_on, n.round_number, n.assessment_type, n.event_name, n.extra)
ON CONFLICT DO NOTHING
