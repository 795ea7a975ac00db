-- New displacements per month, cause and source for a country.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT iso3, month, cause, source, unit, figure, records
FROM monthly_new_displacement
WHERE $iso3 IS NULL OR iso3 = $iso3
ORDER BY iso3, month, cause, source;
