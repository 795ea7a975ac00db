-- Latest IDP stock per country and source (country figure, else the sum of admin1 figures).
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
-- Example: sitrep query --name latest-idps --param iso3=COD
SELECT source, iso3, as_of, unit, figure, basis
FROM latest_idp_country
WHERE $iso3 IS NULL OR iso3 = $iso3
ORDER BY iso3, source, unit;
