-- Expectations that failed in the latest run of each source that feeds a country.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all sources when left out)
WITH latest AS (
    SELECT source, load_run_id, finished_at
    FROM load_runs
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC) = 1
)
SELECT l.source, v."table", v.expectation, v."column", v.unexpected_count,
       l.finished_at AS run_at, l.load_run_id
FROM validation_results v
JOIN latest l USING (load_run_id)
WHERE NOT v.success
  AND ($iso3 IS NULL OR l.source IN (SELECT source FROM country_sources WHERE iso3 = $iso3))
ORDER BY l.source, v."table", v.expectation, v."column";
