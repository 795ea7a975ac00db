-- Freshness of each source (newest reported date, last load, rows, stale or not).
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD: only the sources feeding it (all when left out)
SELECT source, kind, table_name, last_reported_on, days_since_reported, stale,
       strftime(last_loaded_at, '%Y-%m-%d %H:%M') AS last_loaded_at, last_status, rows, undated
FROM source_freshness
WHERE $iso3 IS NULL OR source IN (SELECT source FROM country_sources WHERE iso3 = $iso3)
ORDER BY source, table_name;
