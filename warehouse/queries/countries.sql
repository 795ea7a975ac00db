-- One row per country with data: headline IDP figure, its source, date and rule, news counts.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT *
FROM country_summary
WHERE $iso3 IS NULL OR iso3 = $iso3
ORDER BY idps DESC NULLS LAST, iso3;
