-- What each source's last successful load read: when a run fetches the same bytes with the
-- same code and settings, the source is recorded as unchanged and not normalised again.
CREATE TABLE source_inputs (
    source VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    load_run_id VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE source_inputs IS 'Per source, a fingerprint of the raw files, settings and code of its last successful load.';
COMMENT ON COLUMN source_inputs.fingerprint IS 'SHA-256 over the kind, params, each location and its content hash, and the sitrep code.';
