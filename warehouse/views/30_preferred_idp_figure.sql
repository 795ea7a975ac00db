-- One preferred IDP stock figure per place (country or admin1) and unit, with the rule that
-- picked it. Rule: the newest figure wins, except that figures at most `recency_window_days`
-- (report_settings) older than the newest count as equally recent and then the lower
-- `source_priority` wins (by source name, else by source kind; unlisted sources rank last);
-- remaining ties go to the newer date, then the source name. Units are never mixed.
CREATE OR REPLACE VIEW preferred_idp_figure AS
WITH candidates AS (
    SELECT iso3, CAST(0 AS TINYINT) AS admin_level, CAST(NULL AS VARCHAR) AS admin1_pcode,
           CAST(NULL AS VARCHAR) AS admin1_name, unit, source, as_of, figure, basis
    FROM latest_idp_country
    UNION ALL
    SELECT iso3, admin_level, admin1_pcode, admin1_name, unit, source, as_of, figure, basis
    FROM latest_idp_stock
    WHERE admin_level = 1
),
window_days AS (
    SELECT coalesce(max(value) FILTER (WHERE name = 'recency_window_days'), 0) AS days
    FROM report_settings
),
kinds AS (
    SELECT source, any_value(kind) AS kind FROM load_runs GROUP BY source
),
scored AS (
    SELECT c.*, coalesce(by_name.priority, by_kind.priority) AS priority,
           (max(c.as_of) OVER place) - c.as_of <= w.days AS recent,
           count(*) OVER place AS sources
    FROM candidates c
    CROSS JOIN window_days w
    LEFT JOIN kinds k ON k.source = c.source
    LEFT JOIN source_priority by_name ON by_name.source = c.source
    LEFT JOIN source_priority by_kind ON by_kind.source = k.kind
    WINDOW place AS (PARTITION BY c.iso3, c.admin_level, c.admin1_pcode, c.unit)
),
ranked AS (
    SELECT s.*,
           row_number() OVER ordered AS rank_in_place,
           lead(source) OVER ordered AS next_source,
           lead(priority) OVER ordered AS next_priority,
           lead(recent) OVER ordered AS next_recent,
           lead(as_of) OVER ordered AS next_as_of,
           string_agg(source || ' ' || figure || ' (' || as_of || ')', '; ')
               OVER (ordered ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS others
    FROM scored s
    WINDOW ordered AS (
        PARTITION BY iso3, admin_level, admin1_pcode, unit
        ORDER BY recent DESC, priority ASC NULLS LAST, as_of DESC, source
    )
)
SELECT iso3, admin_level, admin1_pcode, admin1_name, unit, figure, as_of, source, basis,
       CASE
           WHEN sources = 1 THEN 'only source'
           WHEN NOT next_recent THEN 'most recent of ' || sources || ' sources'
           WHEN priority IS NOT NULL AND (next_priority IS NULL OR next_priority > priority)
               THEN 'source priority: ' || source || ' (' || priority || ') over '
                    || next_source || ' (' || coalesce(CAST(next_priority AS VARCHAR), 'unlisted')
                    || '), both within the recency window'
           WHEN as_of > next_as_of THEN 'most recent of ' || sources || ' sources of equal priority'
           ELSE 'tie on date and priority: first by source name'
       END AS rule,
       sources, priority, others AS other_figures
FROM ranked
WHERE rank_in_place = 1;
COMMENT ON VIEW preferred_idp_figure IS 'One preferred IDP stock figure per place and unit (recency, then source priority from warehouse/preferences.toml), with the rule that picked it.';
COMMENT ON COLUMN preferred_idp_figure.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN preferred_idp_figure.admin_level IS '0 for the country, 1 for an admin1 unit.';
COMMENT ON COLUMN preferred_idp_figure.admin1_pcode IS 'Admin1 p-code (NULL for the country).';
COMMENT ON COLUMN preferred_idp_figure.admin1_name IS 'Admin1 name.';
COMMENT ON COLUMN preferred_idp_figure.unit IS 'people or households: one preferred figure per unit, never converted.';
COMMENT ON COLUMN preferred_idp_figure.figure IS 'The preferred figure.';
COMMENT ON COLUMN preferred_idp_figure.as_of IS 'Date the preferred figure refers to.';
COMMENT ON COLUMN preferred_idp_figure.source IS 'Source of the preferred figure.';
COMMENT ON COLUMN preferred_idp_figure.basis IS 'How the source figure was formed (country figure, admin1 figure, sum of ...).';
COMMENT ON COLUMN preferred_idp_figure.rule IS 'Why this figure was preferred: only source, most recent, source priority, or a tie broken by name.';
COMMENT ON COLUMN preferred_idp_figure.sources IS 'Number of sources with a figure for this place and unit.';
COMMENT ON COLUMN preferred_idp_figure.priority IS 'Priority of the chosen source (NULL: not listed in preferences).';
COMMENT ON COLUMN preferred_idp_figure.other_figures IS 'The figures not preferred: source figure (date); in rank order.';
