-- What a source's successful load read (its fingerprint), to skip an unchanged next run.
INSERT OR REPLACE INTO source_inputs (source, fingerprint, load_run_id, loaded_at)
VALUES ($source, $fingerprint, $load_run_id, now())
