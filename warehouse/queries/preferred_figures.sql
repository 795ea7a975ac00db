-- The preferred IDP figure per place (country, admin1) and unit, with the rule that picked it.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT iso3, admin_level, admin1_pcode, admin1_name, unit, figure, as_of, source, rule,
       other_figures
FROM preferred_idp_figure
WHERE $iso3 IS NULL OR iso3 = $iso3
ORDER BY iso3, admin_level, admin1_pcode NULLS FIRST, unit;
