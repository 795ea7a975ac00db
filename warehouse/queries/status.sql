-- Per source: its last attempt and how it ended, its last load and that load's counts (a
-- later run that found nothing new, or failed on everything, does not hide them; a failed run
-- that kept the rows of its readable files counts as a load), the rows it holds, the newest
-- date its data refers to, how old that is and whether it is stale.
WITH attempt AS (
    SELECT source, kind, status, finished_at, error
    FROM load_runs
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC) = 1
),
loaded AS (
    SELECT source, finished_at, rows_in, rows_loaded, rows_quarantined
    FROM load_runs
    WHERE status = 'loaded' OR rows_loaded > 0
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC) = 1
),
data AS (
    SELECT source, sum(rows) AS held, max(last_reported_on) AS data_as_of,
           min(days_since_reported) AS days_old, bool_or(stale) AS stale
    FROM source_freshness
    WHERE table_name IN ('displacement', 'articles')
    GROUP BY source
)
SELECT a.source, a.kind, a.status AS last_status,
       strftime(a.finished_at, '%Y-%m-%d %H:%M') AS last_run,
       strftime(l.finished_at, '%Y-%m-%d %H:%M') AS last_loaded,
       l.rows_in AS "in", l.rows_loaded AS loaded, l.rows_quarantined AS quarantined,
       coalesce(d.held, 0) AS held, d.data_as_of, d.days_old, coalesce(d.stale, false) AS stale,
       CASE WHEN a.status = 'failed' THEN a.error END AS error
FROM attempt a
LEFT JOIN loaded l USING (source)
LEFT JOIN data d USING (source)
ORDER BY a.source;
