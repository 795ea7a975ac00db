-- Which bundled reference data the dimensions were loaded from, so a changed file reloads them.
CREATE TABLE reference_data (
    name VARCHAR PRIMARY KEY,
    sha256 VARCHAR NOT NULL,
    rows BIGINT,
    loaded_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE reference_data IS 'Bundled reference data loaded into dim_country and dim_admin: SHA-256 of the files, rows, when.';
COMMENT ON COLUMN dim_admin.parent_pcode IS 'P-code of the admin 1 unit an admin 2 unit belongs to (NULL for admin 1: see iso3).';
COMMENT ON COLUMN dim_country.alt_names IS 'Other names in use, separated by |.';
