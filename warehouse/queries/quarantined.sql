-- Quarantined rows with their reasons, for the sources that feed a country.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all sources when left out)
SELECT q.source, q."table", q.reason, count(*) AS rows,
       min(q.source_record_id) AS example_record, any_value(q.source_url) AS example_file
FROM quarantine q
WHERE $iso3 IS NULL OR q.source IN (SELECT source FROM country_sources WHERE iso3 = $iso3)
GROUP BY q.source, q."table", q.reason
ORDER BY rows DESC, q.source, q.reason;
