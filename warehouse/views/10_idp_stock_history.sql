-- IDP stock per source, place (country or admin1), date and unit: the series behind the trend
-- charts. Each row is the place's total on that date as idp_place_totals forms it from
-- idp_totals (the definition of a total): baseline (BA) before site (SA) assessments, the
-- operations of the date added up. When that total fails a plausibility check and the
-- roll-up beside it passes (a country row below half its admin1 sum), the roll-up is the
-- point of the series, as it would be the headline. People and households stay apart.
CREATE OR REPLACE VIEW idp_stock_history AS
SELECT source, iso3, admin_level, admin1_pcode, admin1_name, as_of, unit, figure, records,
       total_basis(how, records, admin_units, operations) AS basis,
       how, operation, assessment_type, round_number, period_start, admin_units, source_url,
       retrieved_at, reported_on, checks_failed
FROM idp_place_totals
QUALIFY row_number() OVER (
    PARTITION BY source, iso3, admin_level, admin1_pcode, as_of, unit
    ORDER BY passes DESC, is_total DESC
) = 1;
COMMENT ON VIEW idp_stock_history IS 'IDP stock per source, country (admin_level 0) or admin1 (admin_level 1), date and unit: the series behind the trend charts.';
COMMENT ON COLUMN idp_stock_history.source IS 'Source name (as in sitrep.toml).';
COMMENT ON COLUMN idp_stock_history.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN idp_stock_history.admin_level IS '0 for the country figure, 1 for an admin1 unit.';
COMMENT ON COLUMN idp_stock_history.admin1_pcode IS 'Admin1 p-code (NULL for the country figure).';
COMMENT ON COLUMN idp_stock_history.admin1_name IS 'Admin1 name as the source gives it, else from dim_admin.';
COMMENT ON COLUMN idp_stock_history.as_of IS 'Date the figure refers to (period_end).';
COMMENT ON COLUMN idp_stock_history.unit IS 'people or households: never converted into each other.';
COMMENT ON COLUMN idp_stock_history.figure IS 'The total for that place and date (idp_totals).';
COMMENT ON COLUMN idp_stock_history.records IS 'Number of displacement rows summed into the figure.';
COMMENT ON COLUMN idp_stock_history.basis IS 'The rule in words: reported total, sum of N breakdown rows, sum of N admin1 totals, ...';
COMMENT ON COLUMN idp_stock_history.how IS 'reported_total, sum_of_breakdown, sum_of_admin1, sum_of_admin2 or sum_of_sites (idp_totals.how).';
COMMENT ON COLUMN idp_stock_history.operation IS 'DTM operation(s) or provider event of the total.';
COMMENT ON COLUMN idp_stock_history.assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN idp_stock_history.round_number IS 'Round of the assessment (NULL when operations were added).';
COMMENT ON COLUMN idp_stock_history.period_start IS 'Start of the reporting period.';
COMMENT ON COLUMN idp_stock_history.admin_units IS 'Admin1 units behind the figure.';
COMMENT ON COLUMN idp_stock_history.source_url IS 'A file or URL the rows came from.';
COMMENT ON COLUMN idp_stock_history.retrieved_at IS 'When the rows were retrieved.';
COMMENT ON COLUMN idp_stock_history.reported_on IS 'Date the provider reported the figure, where it says.';
COMMENT ON COLUMN idp_stock_history.checks_failed IS 'Plausibility checks the figure fails (NULL: none).';
