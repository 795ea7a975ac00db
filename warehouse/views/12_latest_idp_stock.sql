-- Latest IDP stock per source, country (admin_level 0) and admin1 (admin_level 1) and unit:
-- the newest date of each place in idp_stock_history.
CREATE OR REPLACE VIEW latest_idp_stock AS
SELECT *
FROM idp_stock_history
QUALIFY row_number() OVER (
    PARTITION BY source, iso3, admin_level, admin1_pcode, unit ORDER BY as_of DESC
) = 1;
COMMENT ON VIEW latest_idp_stock IS 'Newest IDP stock figure per source, country (admin_level 0) and admin1 (admin_level 1), per unit.';
COMMENT ON COLUMN latest_idp_stock.source IS 'Source name (as in sitrep.toml).';
COMMENT ON COLUMN latest_idp_stock.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN latest_idp_stock.admin_level IS '0 for the country figure, 1 for an admin1 unit.';
COMMENT ON COLUMN latest_idp_stock.admin1_pcode IS 'Admin1 p-code (NULL for the country figure).';
COMMENT ON COLUMN latest_idp_stock.admin1_name IS 'Admin1 name as the source gives it, else from dim_admin.';
COMMENT ON COLUMN latest_idp_stock.as_of IS 'Date the figure refers to (the newest period_end of this place at this source).';
COMMENT ON COLUMN latest_idp_stock.unit IS 'people or households: never converted into each other.';
COMMENT ON COLUMN latest_idp_stock.figure IS 'Internally displaced people (or households) on that date, summed over the records of that date.';
COMMENT ON COLUMN latest_idp_stock.records IS 'Number of displacement rows summed into the figure.';
COMMENT ON COLUMN latest_idp_stock.basis IS 'How the figure was formed, in words (idp_stock_history.basis).';
COMMENT ON COLUMN latest_idp_stock.how IS 'reported_total, sum_of_breakdown, sum_of_admin1, sum_of_admin2 or sum_of_sites.';
COMMENT ON COLUMN latest_idp_stock.operation IS 'DTM operation(s) or provider event.';
COMMENT ON COLUMN latest_idp_stock.assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN latest_idp_stock.round_number IS 'Round of the assessment.';
COMMENT ON COLUMN latest_idp_stock.period_start IS 'Start of the reporting period.';
COMMENT ON COLUMN latest_idp_stock.admin_units IS 'Admin1 units behind the figure.';
COMMENT ON COLUMN latest_idp_stock.source_url IS 'A file or URL the rows came from.';
COMMENT ON COLUMN latest_idp_stock.retrieved_at IS 'When the rows were retrieved.';
COMMENT ON COLUMN latest_idp_stock.reported_on IS 'Date the provider reported the figure, where it says.';
COMMENT ON COLUMN latest_idp_stock.checks_failed IS 'Plausibility checks the figure fails (NULL: none).';
