-- One row per country with official figures or article facts: the headline IDP figure in
-- people (preferred, with its rule), the households figure kept apart, how many admin1 units
-- have figures, the sources behind them, and what the news says.
CREATE OR REPLACE VIEW country_summary AS
WITH countries AS (
    SELECT iso3 FROM displacement WHERE iso3 IS NOT NULL
    UNION
    SELECT iso3 FROM article_facts WHERE iso3 IS NOT NULL
),
people AS (
    SELECT * FROM preferred_idp_figure WHERE admin_level = 0 AND unit = 'people'
),
households AS (
    SELECT * FROM preferred_idp_figure WHERE admin_level = 0 AND unit = 'households'
),
admin1 AS (
    SELECT iso3, count(DISTINCT admin1_pcode) AS admin1_units
    FROM preferred_idp_figure WHERE admin_level = 1 GROUP BY iso3
),
official AS (
    SELECT iso3, string_agg(DISTINCT source, ', ' ORDER BY source) AS official_sources,
           max(coalesce(reported_on, period_end)) AS last_official_date, count(*) AS official_rows
    FROM displacement GROUP BY iso3
),
news AS (
    SELECT f.iso3, count(DISTINCT f.article_id) AS articles, count(*) AS facts,
           max(coalesce(a.published_at, a.retrieved_at)) AS last_article_at
    FROM article_facts f LEFT JOIN articles a USING (article_id)
    GROUP BY f.iso3
),
stale AS (
    SELECT max(value) FILTER (WHERE name = 'stale_after_days') AS days FROM report_settings
),
-- The newest country figure in people from another source than the headline's, not stale.
fresher AS (
    SELECT l.iso3, arg_max(l.source, l.as_of) AS source, max(l.as_of) AS as_of,
           arg_max(l.figure, l.as_of) AS figure, arg_max(l.how, l.as_of) AS how,
           arg_max(l.checks_failed, l.as_of) AS checks_failed
    FROM latest_idp_country l
    JOIN people p ON p.iso3 = l.iso3 AND p.source <> l.source
    CROSS JOIN stale s
    WHERE l.unit = 'people' AND (s.days IS NULL OR current_date - l.as_of <= s.days)
    GROUP BY l.iso3
),
flags AS (
    SELECT iso3, count(*) FILTER (WHERE flag IN ('not_in_statistics', 'other_unit_only',
                                                 'differs')) AS news_flags
    FROM news_vs_official GROUP BY iso3
)
SELECT c.iso3, dc.name AS country_name,
       p.figure AS idps, p.as_of AS idps_as_of, p.source AS idps_source, p.rule AS idps_rule,
       p.basis AS idps_basis, h.figure AS idp_households, h.as_of AS idp_households_as_of,
       coalesce(a1.admin1_units, 0) AS admin1_units, o.official_sources, o.last_official_date,
       coalesce(o.official_rows, 0) AS official_rows, coalesce(n.articles, 0) AS articles,
       coalesce(n.facts, 0) AS facts, n.last_article_at, coalesce(fl.news_flags, 0) AS news_flags,
       p.how AS idps_how, p.operation AS idps_operation, p.round_number AS idps_round,
       p.assessment_type AS idps_assessment_type, p.period_start AS idps_period_start,
       current_date - p.as_of AS idps_days_old,
       coalesce(current_date - p.as_of > st.days, false) AS idps_stale,
       p.previous_figure AS idps_previous, p.previous_as_of AS idps_previous_as_of,
       p.change AS idps_change, p.change_pct AS idps_change_pct,
       p.checks_failed AS idps_checks_failed, p.failure AS idps_failure,
       p.passed_over AS idps_passed_over, p.source_url AS idps_source_url,
       h.source AS idp_households_source, h.basis AS idp_households_basis,
       fr.figure AS fresher_idps, fr.as_of AS fresher_as_of, fr.source AS fresher_source,
       fr.how AS fresher_how, fr.checks_failed AS fresher_checks_failed
FROM countries c
CROSS JOIN stale st
LEFT JOIN dim_country dc USING (iso3)
LEFT JOIN people p USING (iso3)
LEFT JOIN households h USING (iso3)
LEFT JOIN admin1 a1 USING (iso3)
LEFT JOIN official o USING (iso3)
LEFT JOIN news n USING (iso3)
LEFT JOIN flags fl USING (iso3)
LEFT JOIN fresher fr ON fr.iso3 = c.iso3 AND p.as_of < fr.as_of
    AND coalesce(current_date - p.as_of > st.days, false);
COMMENT ON VIEW country_summary IS 'One row per country with data: headline IDP figure and its rule, sources, news counts and flags (the report''s overview).';
COMMENT ON COLUMN country_summary.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN country_summary.country_name IS 'Country name from dim_country (NULL when not loaded).';
COMMENT ON COLUMN country_summary.idps IS 'Preferred IDP stock for the country, in people.';
COMMENT ON COLUMN country_summary.idps_as_of IS 'Date of that figure.';
COMMENT ON COLUMN country_summary.idps_source IS 'Source of that figure.';
COMMENT ON COLUMN country_summary.idps_rule IS 'Why that figure was preferred (preferred_idp_figure.rule).';
COMMENT ON COLUMN country_summary.idps_basis IS 'How that figure was formed (country figure, sum of admin1 figures).';
COMMENT ON COLUMN country_summary.idp_households IS 'Preferred IDP stock in households, where a source counts households (not converted to people).';
COMMENT ON COLUMN country_summary.idp_households_as_of IS 'Date of the households figure.';
COMMENT ON COLUMN country_summary.admin1_units IS 'Admin1 units with a preferred figure.';
COMMENT ON COLUMN country_summary.official_sources IS 'Sources with displacement rows for the country.';
COMMENT ON COLUMN country_summary.last_official_date IS 'Newest date in those rows.';
COMMENT ON COLUMN country_summary.official_rows IS 'Displacement rows held for the country.';
COMMENT ON COLUMN country_summary.articles IS 'Articles with facts about the country.';
COMMENT ON COLUMN country_summary.facts IS 'Facts extracted about the country.';
COMMENT ON COLUMN country_summary.last_article_at IS 'Publication (else retrieval) time of the newest such article.';
COMMENT ON COLUMN country_summary.news_flags IS 'news_vs_official rows flagged not_in_statistics, other_unit_only or differs.';
COMMENT ON COLUMN country_summary.idps_how IS 'How the headline was formed: reported_total, sum_of_breakdown, sum_of_admin1, sum_of_admin2, sum_of_sites.';
COMMENT ON COLUMN country_summary.idps_operation IS 'DTM operation or provider event of the headline.';
COMMENT ON COLUMN country_summary.idps_round IS 'Round of the headline.';
COMMENT ON COLUMN country_summary.idps_assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN country_summary.idps_period_start IS 'Start of the headline''s reporting period.';
COMMENT ON COLUMN country_summary.idps_days_old IS 'Days from the headline''s date to today.';
COMMENT ON COLUMN country_summary.idps_stale IS 'idps_days_old is over stale_after_days (warehouse/preferences.toml).';
COMMENT ON COLUMN country_summary.idps_previous IS 'The same series'' figure in the previous round.';
COMMENT ON COLUMN country_summary.idps_previous_as_of IS 'Date of that figure.';
COMMENT ON COLUMN country_summary.idps_change IS 'Change since the previous round (people).';
COMMENT ON COLUMN country_summary.idps_change_pct IS 'Change since the previous round in per cent.';
COMMENT ON COLUMN country_summary.idps_checks_failed IS 'Plausibility checks the headline fails (only when no figure passes).';
COMMENT ON COLUMN country_summary.idps_failure IS 'Those failures in words.';
COMMENT ON COLUMN country_summary.idps_passed_over IS 'Figures passed over because they fail a plausibility check, and why.';
COMMENT ON COLUMN country_summary.idps_source_url IS 'A file or URL the headline came from.';
COMMENT ON COLUMN country_summary.idp_households_source IS 'Source of the households figure.';
COMMENT ON COLUMN country_summary.idp_households_basis IS 'How the households figure was formed.';
COMMENT ON COLUMN country_summary.fresher_idps IS 'When the headline is stale: the newest country figure (people) of another source that is not stale.';
COMMENT ON COLUMN country_summary.fresher_as_of IS 'Date of that figure.';
COMMENT ON COLUMN country_summary.fresher_source IS 'Its source.';
COMMENT ON COLUMN country_summary.fresher_how IS 'How it was formed.';
COMMENT ON COLUMN country_summary.fresher_checks_failed IS 'Plausibility checks that fresher figure fails (why it is not the headline), NULL: none.';
