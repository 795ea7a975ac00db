-- New displacements per source, country, month and cause. A record counts in the month its
-- period starts; records spanning more than 31 days (annual totals) are left out, and per
-- source, country and month only the most aggregated admin level is summed, so a source that
-- reports both country and admin1 figures is not counted twice. Units stay apart.
CREATE OR REPLACE VIEW monthly_new_displacement AS
WITH flows AS (
    SELECT source, iso3, coalesce(admin_level, 0) AS admin_level,
           CAST(date_trunc('month', coalesce(period_start, period_end)) AS DATE) AS month,
           coalesce(cause, 'unknown') AS cause, unit, figure
    FROM displacement
    WHERE metric = 'new_displacement' AND figure IS NOT NULL
      AND coalesce(period_start, period_end) IS NOT NULL
      AND (period_start IS NULL OR period_end IS NULL OR period_end - period_start <= 31)
),
top_level AS (
    SELECT *
    FROM flows
    QUALIFY admin_level = min(admin_level) OVER (PARTITION BY source, iso3, month)
)
SELECT source, iso3, month, cause, unit, CAST(sum(figure) AS BIGINT) AS figure,
       count(*) AS records
FROM top_level
GROUP BY source, iso3, month, cause, unit;
COMMENT ON VIEW monthly_new_displacement IS 'New displacements per source, country, month and cause (periods of at most 31 days; most aggregated admin level only).';
COMMENT ON COLUMN monthly_new_displacement.source IS 'Source name.';
COMMENT ON COLUMN monthly_new_displacement.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN monthly_new_displacement.month IS 'First day of the month the displacement period starts in.';
COMMENT ON COLUMN monthly_new_displacement.cause IS 'conflict, disaster, other or unknown.';
COMMENT ON COLUMN monthly_new_displacement.unit IS 'people or households: never converted into each other.';
COMMENT ON COLUMN monthly_new_displacement.figure IS 'Sum of the new displacements of that month.';
COMMENT ON COLUMN monthly_new_displacement.records IS 'Number of displacement rows summed.';
