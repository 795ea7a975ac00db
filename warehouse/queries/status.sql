-- Per source: its last run, the counts of that run, and how fresh its data is.
WITH last AS (
    SELECT *
    FROM load_runs
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC) = 1
),
reported AS (
    SELECT source, max(reported_on) AS last_reported_on, count(*) AS rows_now
    FROM displacement GROUP BY source
    UNION ALL
    -- an undated article is undated, not as fresh as the day it was retrieved
    SELECT source, max(CAST(published_at AS DATE)), count(*)
    FROM articles GROUP BY source
)
SELECT l.source, l.status, strftime(l.finished_at, '%Y-%m-%d %H:%M') AS last_run,
       l.rows_in AS "in", l.rows_loaded AS loaded, l.rows_quarantined AS quarantined,
       r.rows_now AS held, r.last_reported_on AS data_as_of, l.error
FROM last l
LEFT JOIN reported r USING (source)
ORDER BY l.source;
