-- IDP totals that fail a plausibility check, newest first, for a country or all.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT iso3, admin_level, admin1_pcode, source, operation, round_number, as_of, unit, how,
       figure, "check", compared_to, detail
FROM idp_figure_checks
WHERE $iso3 IS NULL OR iso3 = $iso3
ORDER BY iso3, as_of DESC, admin_level, admin1_pcode NULLS FIRST, source, "check";
