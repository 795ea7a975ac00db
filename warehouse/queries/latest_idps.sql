-- Latest IDP stock per country and source: the source's country total and how it was formed.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
-- Example: sitrep query --name latest-idps --param iso3=COD
SELECT source, iso3, as_of, unit, figure, how, basis, operation, round_number
FROM latest_idp_country
WHERE $iso3 IS NULL OR iso3 = $iso3
ORDER BY iso3, source, unit;
