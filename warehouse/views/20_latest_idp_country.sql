-- One IDP stock figure per source, country and unit: the newest country total of the source
-- (idp_stock_history: its own country figure, else the sum of its admin1 totals of that round).
CREATE OR REPLACE VIEW latest_idp_country AS
SELECT source, iso3, unit, as_of, figure, as_of AS oldest_as_of,
       greatest(admin_units, 1) AS places, basis, how, operation, assessment_type, round_number,
       checks_failed
FROM latest_idp_stock
WHERE admin_level = 0;
COMMENT ON VIEW latest_idp_country IS 'Newest IDP stock per source, country and unit: the country total (idp_totals), own or rolled up.';
COMMENT ON COLUMN latest_idp_country.source IS 'Source name (as in sitrep.toml).';
COMMENT ON COLUMN latest_idp_country.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN latest_idp_country.unit IS 'people or households: never converted into each other.';
COMMENT ON COLUMN latest_idp_country.as_of IS 'Date of the figure.';
COMMENT ON COLUMN latest_idp_country.figure IS 'Internally displaced people (or households).';
COMMENT ON COLUMN latest_idp_country.oldest_as_of IS 'Same as as_of: a roll-up sums one round only.';
COMMENT ON COLUMN latest_idp_country.places IS 'Admin1 units behind the figure (at least 1).';
COMMENT ON COLUMN latest_idp_country.basis IS 'How the figure was formed, in words.';
COMMENT ON COLUMN latest_idp_country.how IS 'reported_total, sum_of_breakdown, sum_of_admin1, sum_of_admin2 or sum_of_sites.';
COMMENT ON COLUMN latest_idp_country.operation IS 'DTM operation or provider event.';
COMMENT ON COLUMN latest_idp_country.assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN latest_idp_country.round_number IS 'Round of the figure.';
COMMENT ON COLUMN latest_idp_country.checks_failed IS 'Plausibility checks the figure fails (NULL: none).';
