-- A live source's new high-water mark, saved with the load that reached it.
INSERT OR REPLACE INTO source_watermarks (source, kind, value, load_run_id, updated_at)
VALUES ($source, $kind, $value, $load_run_id, now())
