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
       coalesce(n.facts, 0) AS facts, n.last_article_at, coalesce(fl.news_flags, 0) AS news_flags
FROM countries c
LEFT JOIN dim_country dc USING (iso3)
LEFT JOIN people p USING (iso3)
LEFT JOIN households h USING (iso3)
LEFT JOIN admin1 a1 USING (iso3)
LEFT JOIN official o USING (iso3)
LEFT JOIN news n USING (iso3)
LEFT JOIN flags fl USING (iso3);
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
