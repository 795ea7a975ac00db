-- One preferred IDP stock figure per place (country or admin1) and unit, with the rule that
-- picked it. The candidates are every place total (idp_place_totals, roll-ups included) on each source's
-- newest date for the place. Order: a figure passing the plausibility checks
-- (idp_figure_checks) before one failing them; then the newest, except that figures at most
-- `recency_window_days` older than the newest count as equally recent and the lower
-- `source_priority` wins (by source name, else by kind; unlisted sources rank last); then the
-- `tie_breaks` of warehouse/preferences.toml in their order. Never by source name. Units are
-- never mixed. `passed_over` says which figures failed a check and why.
CREATE OR REPLACE VIEW preferred_idp_figure AS
WITH series AS (
    SELECT *, lag(figure) OVER s AS previous_figure, lag(as_of) OVER s AS previous_as_of,
           lag(round_number) OVER s AS previous_round
    FROM idp_place_totals
    WINDOW s AS (PARTITION BY source, iso3, admin_level, admin1_pcode, unit, is_total
                 ORDER BY as_of)
),
newest AS (
    SELECT * FROM series
    QUALIFY as_of = max(as_of) OVER (PARTITION BY source, iso3, admin_level, admin1_pcode, unit)
),
window_days AS (
    SELECT coalesce(max(value) FILTER (WHERE name = 'recency_window_days'), 0) AS days
    FROM report_settings
),
names AS (
    SELECT list(name ORDER BY position) AS tie_breaks FROM tie_breaks
),
scored AS (
    SELECT c.*,
           coalesce(by_name.priority, by_kind.priority) AS priority,
           (max(c.as_of) OVER place) - c.as_of <= w.days AS recent,
           count(DISTINCT c.source) OVER place AS sources,
           (SELECT list(
                CASE t.name
                    WHEN 'newer_date' THEN -CAST(c.as_of - DATE '1970-01-01' AS DOUBLE)
                    WHEN 'more_admin_units' THEN -CAST(c.admin_units AS DOUBLE)
                    WHEN 'own_total' THEN CAST(c.how_rank AS DOUBLE)
                    WHEN 'baseline_first' THEN CASE c.assessment_type WHEN 'BA' THEN 0.0
                                                   WHEN 'SA' THEN 1.0 ELSE 2.0 END
                    WHEN 'retrieved_later' THEN -coalesce(epoch(c.retrieved_at), 0)
                    WHEN 'larger_figure' THEN -CAST(c.figure AS DOUBLE)
                END ORDER BY t.position)
            FROM tie_breaks t) AS tie_key
    FROM newest c
    CROSS JOIN window_days w
    LEFT JOIN source_priority by_name ON by_name.source = c.source
    LEFT JOIN source_priority by_kind ON by_kind.source = c.kind
    WINDOW place AS (PARTITION BY c.iso3, c.admin_level, c.admin1_pcode, c.unit)
),
ranked AS (
    SELECT s.*,
           row_number() OVER ordered AS rank_in_place,
           first_value(source) OVER ordered AS winner,
           string_agg(source || ' ' || format('{:,}', figure) || ' (' || as_of || ', '
                      || replace(how, '_', ' ') || ')', '; ')
               OVER (ordered ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS others,
           string_agg(CASE WHEN NOT passes THEN source || ' ' || format('{:,}', figure) || ' ('
                           || as_of || ', ' || replace(how, '_', ' ') || '): ' || failure END,
                      '; ')
               OVER (ordered ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS passed_over
    FROM scored s
    WINDOW ordered AS (
        PARTITION BY iso3, admin_level, admin1_pcode, unit
        ORDER BY passes DESC, recent DESC, priority ASC NULLS LAST, tie_key ASC NULLS LAST,
                 figure DESC, is_total DESC
    )
),
-- The figure the winner is compared with in `rule`: the best of another source, else the
-- best other figure of the same source (a roll-up beside the source's own total).
rival AS (
    SELECT * FROM ranked
    WHERE rank_in_place > 1
    QUALIFY row_number() OVER (
        PARTITION BY iso3, admin_level, admin1_pcode, unit
        ORDER BY source = winner, rank_in_place
    ) = 1
),
decided AS (
    SELECT r.*, n.tie_breaks, x.source AS next_source, x.passes AS next_passes,
           x.priority AS next_priority, x.recent AS next_recent,
           list_filter(range(1, len(r.tie_key) + 1),
                       lambda i: r.tie_key[i] IS DISTINCT FROM x.tie_key[i])[1] AS deciding
    FROM ranked r
    CROSS JOIN names n
    LEFT JOIN rival x
        ON x.iso3 = r.iso3 AND x.admin_level = r.admin_level AND x.unit = r.unit
       AND x.admin1_pcode IS NOT DISTINCT FROM r.admin1_pcode
    WHERE r.rank_in_place = 1
)
SELECT iso3, admin_level, admin1_pcode, admin1_name, unit, figure, as_of, source,
       total_basis(how, records, admin_units, operations) AS basis,
       CASE
           WHEN next_source IS NULL THEN 'only source'
           WHEN next_source = source AND passes AND NOT next_passes
               THEN 'only source; its ' || replace(how, '_', ' ') || ' passes the checks'
           WHEN next_source = source THEN 'only source'
           WHEN passes AND NOT next_passes THEN 'passes the plausibility checks; the others fail'
           WHEN NOT passes THEN 'every figure fails a plausibility check; ' || CASE
               WHEN NOT next_recent THEN 'the most recent' ELSE 'by priority and tie-breaks' END
           WHEN NOT next_recent THEN 'most recent of ' || sources || ' sources'
           WHEN priority IS NOT NULL AND (next_priority IS NULL OR next_priority > priority)
               THEN 'source priority: ' || source || ' (' || priority || ') over '
                    || next_source || ' (' || coalesce(CAST(next_priority AS VARCHAR), 'unlisted')
                    || '), both within the recency window'
           WHEN deciding IS NOT NULL
               THEN 'tie on recency and priority, decided by ' || tie_breaks[deciding]
           ELSE 'equal figures'
       END AS rule,
       sources, priority, others AS other_figures, how, operation, assessment_type,
       round_number, period_start, admin_units, passes, checks_failed, failure, passed_over,
       previous_figure, previous_as_of, previous_round,
       figure - previous_figure AS change,
       round(100.0 * (figure - previous_figure) / nullif(previous_figure, 0), 1) AS change_pct,
       source_url, retrieved_at, reported_on
FROM decided;
COMMENT ON VIEW preferred_idp_figure IS 'One preferred IDP stock figure per place and unit (plausibility checks, recency, source priority, then the tie-breaks of warehouse/preferences.toml), with the rule that picked it.';
COMMENT ON COLUMN preferred_idp_figure.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN preferred_idp_figure.admin_level IS '0 for the country, 1 for an admin1 unit.';
COMMENT ON COLUMN preferred_idp_figure.admin1_pcode IS 'Admin1 p-code (NULL for the country).';
COMMENT ON COLUMN preferred_idp_figure.admin1_name IS 'Admin1 name.';
COMMENT ON COLUMN preferred_idp_figure.unit IS 'people or households: one preferred figure per unit, never converted.';
COMMENT ON COLUMN preferred_idp_figure.figure IS 'The preferred figure.';
COMMENT ON COLUMN preferred_idp_figure.as_of IS 'Date the preferred figure refers to.';
COMMENT ON COLUMN preferred_idp_figure.source IS 'Source of the preferred figure.';
COMMENT ON COLUMN preferred_idp_figure.basis IS 'How the figure was formed, in words (reported total, sum of N admin1 totals, ...).';
COMMENT ON COLUMN preferred_idp_figure.rule IS 'Why this figure was preferred: only figure, checks, most recent, source priority, or the tie-break that decided.';
COMMENT ON COLUMN preferred_idp_figure.sources IS 'Number of sources with a figure for this place and unit.';
COMMENT ON COLUMN preferred_idp_figure.priority IS 'Priority of the chosen source (NULL: not listed in preferences).';
COMMENT ON COLUMN preferred_idp_figure.other_figures IS 'The figures not preferred: source figure (date, how); in rank order.';
COMMENT ON COLUMN preferred_idp_figure.how IS 'reported_total, sum_of_breakdown, sum_of_admin1, sum_of_admin2 or sum_of_sites.';
COMMENT ON COLUMN preferred_idp_figure.operation IS 'DTM operation or provider event of the figure.';
COMMENT ON COLUMN preferred_idp_figure.assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN preferred_idp_figure.round_number IS 'Round of the figure.';
COMMENT ON COLUMN preferred_idp_figure.period_start IS 'Start of the reporting period.';
COMMENT ON COLUMN preferred_idp_figure.admin_units IS 'Admin1 units behind the figure.';
COMMENT ON COLUMN preferred_idp_figure.passes IS 'False when the figure fails a plausibility check (then no figure passed).';
COMMENT ON COLUMN preferred_idp_figure.checks_failed IS 'Checks the preferred figure fails (NULL: none).';
COMMENT ON COLUMN preferred_idp_figure.failure IS 'Those failures in words.';
COMMENT ON COLUMN preferred_idp_figure.passed_over IS 'Figures passed over because they fail a check: source figure (date, how): why.';
COMMENT ON COLUMN preferred_idp_figure.previous_figure IS 'The same series'' figure in the previous round (same source, operation, assessment, how).';
COMMENT ON COLUMN preferred_idp_figure.previous_as_of IS 'Date of that previous figure.';
COMMENT ON COLUMN preferred_idp_figure.previous_round IS 'Round of that previous figure.';
COMMENT ON COLUMN preferred_idp_figure.change IS 'figure - previous_figure.';
COMMENT ON COLUMN preferred_idp_figure.change_pct IS 'Change in per cent of the previous figure.';
COMMENT ON COLUMN preferred_idp_figure.source_url IS 'A file or URL the figure came from (lineage).';
COMMENT ON COLUMN preferred_idp_figure.retrieved_at IS 'When it was retrieved.';
COMMENT ON COLUMN preferred_idp_figure.reported_on IS 'Date the provider reported it, where it says.';
