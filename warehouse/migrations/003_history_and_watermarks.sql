-- Revised records keep their earlier versions; live sources keep how far they have read.
CREATE TABLE displacement_history (
    source VARCHAR NOT NULL,
    source_record_id VARCHAR NOT NULL,
    figure BIGINT,
    unit VARCHAR,
    qualifier VARCHAR,
    period_start DATE,
    period_end DATE,
    reported_on DATE,
    record_hash VARCHAR NOT NULL,
    load_run_id VARCHAR,
    record JSON,
    replaced_by_load_run_id VARCHAR NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, source_record_id, record_hash, replaced_by_load_run_id)
);
COMMENT ON TABLE displacement_history IS 'Earlier versions of displacement rows: a row lands here when a load brings the same (source, source_record_id) with different content.';
COMMENT ON COLUMN displacement_history.record IS 'The whole replaced displacement row as JSON (every column, whatever later migrations add).';
COMMENT ON COLUMN displacement_history.load_run_id IS 'The load run that had loaded the replaced version.';
COMMENT ON COLUMN displacement_history.replaced_by_load_run_id IS 'The load run that brought the newer version.';

CREATE TABLE source_watermarks (
    source VARCHAR PRIMARY KEY,
    kind VARCHAR,
    value JSON NOT NULL,
    load_run_id VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE source_watermarks IS 'High-water mark per live source (JSON object by API location), written in the same transaction as the load that reached it.';
COMMENT ON COLUMN source_watermarks.value IS 'For example {"<url>": {"created_at": "..."}} (IDMC IDU), {"<url>": {"last_updated": "...", "year": 2024}} (IDMC GIDD), {"<url>": {"year": 2024}} (UNHCR).';
