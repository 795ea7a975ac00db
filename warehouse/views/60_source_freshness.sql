-- Per source and table: the newest date its data reports, its last load, rows held, and
-- whether it is stale (newest date older than `stale_after_days` in report_settings).
CREATE OR REPLACE VIEW source_freshness AS
WITH held AS (
    SELECT source, 'displacement' AS table_name,
           max(coalesce(reported_on, period_end)) AS last_reported_on, count(*) AS rows,
           count(*) FILTER (WHERE coalesce(reported_on, period_end) IS NULL) AS undated
    FROM displacement GROUP BY source
    UNION ALL
    -- An article without a publication date is undated: when it was retrieved is no date.
    SELECT source, 'articles', max(CAST(published_at AS DATE)), count(*),
           count(*) FILTER (WHERE published_at IS NULL)
    FROM articles GROUP BY source
    UNION ALL
    SELECT f.source, 'article_facts',
           max(coalesce(f.event_date, CAST(a.published_at AS DATE))), count(*),
           count(*) FILTER (WHERE f.event_date IS NULL AND a.published_at IS NULL)
    FROM article_facts f LEFT JOIN articles a USING (article_id) GROUP BY f.source
),
runs AS (
    SELECT source, arg_max(kind, finished_at) AS kind,
           max(finished_at) FILTER (WHERE status = 'loaded') AS last_loaded_at,
           max(finished_at) AS last_run_at, arg_max(status, finished_at) AS last_status
    FROM load_runs GROUP BY source
),
stale AS (
    SELECT max(value) FILTER (WHERE name = 'stale_after_days') AS days FROM report_settings
)
SELECT coalesce(h.source, r.source) AS source, r.kind, h.table_name, h.last_reported_on,
       r.last_loaded_at, r.last_run_at, r.last_status, coalesce(h.rows, 0) AS rows,
       coalesce(h.undated, 0) AS undated,
       current_date - h.last_reported_on AS days_since_reported,
       coalesce(current_date - h.last_reported_on > s.days, false) AS stale
FROM runs r
FULL JOIN held h USING (source)
CROSS JOIN stale s;
COMMENT ON VIEW source_freshness IS 'Per source and table: newest reported date, last load, rows held, stale or not.';
COMMENT ON COLUMN source_freshness.source IS 'Source name.';
COMMENT ON COLUMN source_freshness.kind IS 'Source kind of its last run (dtm, article-files, ...).';
COMMENT ON COLUMN source_freshness.table_name IS 'displacement, articles or article_facts (NULL: the source holds no rows).';
COMMENT ON COLUMN source_freshness.last_reported_on IS 'Newest date the data refers to (reported_on or period_end; publication date for articles; event date, else publication date, for facts); undated rows count for nothing (NULL when every row is undated).';
COMMENT ON COLUMN source_freshness.undated IS 'Rows with no date (articles with no publication date, facts with neither event nor publication date).';
COMMENT ON COLUMN source_freshness.last_loaded_at IS 'When a run of this source last loaded successfully.';
COMMENT ON COLUMN source_freshness.last_run_at IS 'When this source last ran, loaded or failed.';
COMMENT ON COLUMN source_freshness.last_status IS 'Status of that last run: loaded, failed, or unchanged (nothing new at the source).';
COMMENT ON COLUMN source_freshness.rows IS 'Rows of this source in the table now.';
COMMENT ON COLUMN source_freshness.days_since_reported IS 'Days from last_reported_on to today.';
COMMENT ON COLUMN source_freshness.stale IS 'days_since_reported is over stale_after_days (warehouse/preferences.toml).';
