-- The places each article names below the country (admin units and towns), with how often,
-- beside the place of each of its figures (article_facts). Loaded with the articles.
CREATE TABLE article_places (
    article_id VARCHAR NOT NULL,
    place_no INTEGER NOT NULL,
    place_name VARCHAR,
    iso3 VARCHAR,
    admin1_pcode VARCHAR,
    admin2_pcode VARCHAR,
    mentions INTEGER,
    first_sentence VARCHAR,
    source VARCHAR NOT NULL,
    source_record_id VARCHAR NOT NULL,
    source_url VARCHAR,
    retrieved_at TIMESTAMPTZ,
    load_run_id VARCHAR,
    record_hash VARCHAR,
    PRIMARY KEY (article_id, place_no)
);
COMMENT ON TABLE article_places IS 'Admin units and towns an article names, most mentioned first (place_no 1); countries are not rows.';
COMMENT ON COLUMN article_places.admin2_pcode IS 'OCHA p-code of the admin 2 unit when the place is one (NULL for towns and admin 1 units).';
COMMENT ON COLUMN article_places.mentions IS 'How many times the article names the place (any of its spellings).';
COMMENT ON COLUMN article_places.first_sentence IS 'The sentence that names it first.';
