-- displacement without its PRIMARY KEY constraint. The key (source, source_record_id) stays
-- the key: every load deletes the keys it brings before inserting them, in one transaction,
-- and the displacement suite's compound-unique expectation quarantines duplicates within a
-- load. The index behind the constraint made reloading a million rows take 5x as long.
CREATE TABLE displacement_keyless (
    iso3 VARCHAR,
    admin_level TINYINT,
    admin1_pcode VARCHAR,
    admin2_pcode VARCHAR,
    admin1_name VARCHAR,
    admin2_name VARCHAR,
    place_name VARCHAR,
    metric VARCHAR,
    cause VARCHAR,
    figure BIGINT,
    unit VARCHAR,
    qualifier VARCHAR,
    period_start DATE,
    period_end DATE,
    reported_on DATE,
    round_number INTEGER,
    assessment_type VARCHAR,
    event_name VARCHAR,
    extra VARCHAR,
    source VARCHAR NOT NULL,
    source_record_id VARCHAR NOT NULL,
    source_url VARCHAR,
    retrieved_at TIMESTAMPTZ,
    load_run_id VARCHAR,
    record_hash VARCHAR
);
INSERT INTO displacement_keyless BY NAME SELECT * FROM displacement;
DROP TABLE displacement;
ALTER TABLE displacement_keyless RENAME TO displacement;
COMMENT ON TABLE displacement IS 'Official displacement figures, one row per source record (IDMC, IOM DTM, UNHCR, HDX HAPI, HXL files).';
COMMENT ON COLUMN displacement.iso3 IS 'ISO 3166 alpha-3 country code (IDMC codes such as AB9 kept as given).';
COMMENT ON COLUMN displacement.admin_level IS '0 country, 1 province/region, 2 district/territory.';
COMMENT ON COLUMN displacement.metric IS 'idp_stock, new_displacement, returnees, refugees or asylum_seekers.';
COMMENT ON COLUMN displacement.cause IS 'conflict, disaster, other or unknown.';
COMMENT ON COLUMN displacement.figure IS 'The reported figure, in `unit` (households are never multiplied into people).';
COMMENT ON COLUMN displacement.unit IS 'people or households.';
COMMENT ON COLUMN displacement.qualifier IS 'exact, approximately, more_than, less_than or up_to.';
COMMENT ON COLUMN displacement.period_end IS 'Date the figure refers to (for stocks: as of this date).';
COMMENT ON COLUMN displacement.source_record_id IS 'Identifier of the record at its source, unique per source.';
COMMENT ON COLUMN displacement.record_hash IS 'Hash of the row content: changes when the source revises the record.';
