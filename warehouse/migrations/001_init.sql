-- The canonical tables, run bookkeeping and the quality record.
CREATE TABLE displacement (
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
    record_hash VARCHAR,
    PRIMARY KEY (source, source_record_id)
);
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

CREATE TABLE articles (
    article_id VARCHAR PRIMARY KEY,
    url VARCHAR,
    publisher VARCHAR,
    title VARCHAR,
    summary VARCHAR,
    body VARCHAR,
    published_at TIMESTAMPTZ,
    language VARCHAR,
    content_hash VARCHAR,
    cluster_id VARCHAR,
    source VARCHAR NOT NULL,
    source_record_id VARCHAR NOT NULL,
    source_url VARCHAR,
    retrieved_at TIMESTAMPTZ,
    load_run_id VARCHAR,
    record_hash VARCHAR
);
COMMENT ON TABLE articles IS 'News and ReliefWeb articles, one row per distinct article.';
COMMENT ON COLUMN articles.url IS 'Where the article was published (a URL, or a host when only that is known).';
COMMENT ON COLUMN articles.content_hash IS 'SHA-256 of the normalised summary and body: equal texts, equal hash.';

CREATE TABLE article_facts (
    article_id VARCHAR NOT NULL,
    fact_no INTEGER NOT NULL,
    iso3 VARCHAR,
    place_name VARCHAR,
    admin1_pcode VARCHAR,
    admin2_pcode VARCHAR,
    figure BIGINT,
    unit VARCHAR,
    term VARCHAR,
    qualifier VARCHAR,
    event_date DATE,
    sentence VARCHAR,
    confidence DOUBLE,
    source VARCHAR NOT NULL,
    source_record_id VARCHAR NOT NULL,
    source_url VARCHAR,
    retrieved_at TIMESTAMPTZ,
    load_run_id VARCHAR,
    record_hash VARCHAR,
    PRIMARY KEY (article_id, fact_no)
);
COMMENT ON TABLE article_facts IS 'Displacement facts extracted from article text, most salient first (fact_no 1).';
COMMENT ON COLUMN article_facts.term IS 'IDMC reporting term: displaced, evacuated, forced_to_flee, destroyed_housing, ...';

CREATE TABLE dim_country (
    iso3 VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    alt_names VARCHAR,
    region VARCHAR
);
COMMENT ON TABLE dim_country IS 'Countries and territories (OCHA taxonomy), including non-ISO codes in use.';

CREATE TABLE dim_admin (
    pcode VARCHAR PRIMARY KEY,
    iso3 VARCHAR NOT NULL,
    level TINYINT NOT NULL,
    name VARCHAR NOT NULL,
    parent_pcode VARCHAR
);
COMMENT ON TABLE dim_admin IS 'Admin 1 and 2 units by p-code (OCHA global p-code list).';

CREATE TABLE load_runs (
    load_run_id VARCHAR PRIMARY KEY,
    flow_run_id VARCHAR,
    source VARCHAR NOT NULL,
    kind VARCHAR,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    rows_in BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    status VARCHAR,
    error VARCHAR
);
COMMENT ON TABLE load_runs IS 'One row per source per pipeline run: counts summed over its tables, status, error.';

CREATE TABLE load_run_tables (
    load_run_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    rows_in BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    PRIMARY KEY (load_run_id, table_name)
);
COMMENT ON TABLE load_run_tables IS 'Counts per table of each load run: rows_in = rows_loaded + rows_quarantined.';

CREATE TABLE quarantine (
    load_run_id VARCHAR NOT NULL,
    "table" VARCHAR NOT NULL,
    row_no BIGINT NOT NULL,
    source VARCHAR,
    source_url VARCHAR,
    source_record_id VARCHAR,
    reason VARCHAR,
    record JSON,
    PRIMARY KEY (load_run_id, "table", row_no)
);
COMMENT ON TABLE quarantine IS 'Rows that were read but not loaded, with the reason and the raw record as JSON.';

CREATE TABLE validation_results (
    load_run_id VARCHAR NOT NULL,
    "table" VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    "column" VARCHAR NOT NULL,
    success BOOLEAN,
    unexpected_count BIGINT,
    details JSON,
    PRIMARY KEY (load_run_id, "table", expectation, "column")
);
COMMENT ON TABLE validation_results IS 'Every Great Expectations result of every load run.';
