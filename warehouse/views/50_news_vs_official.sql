-- News against the statistics, per country (facts naming no admin1 unit) and per admin1
-- (facts inside that unit, admin2 facts included) and unit. The news side is the latest
-- article reporting displaced people for the place (its largest figure there; articles with
-- no event or publication date come after dated ones, whenever they were retrieved); the official
-- side is the preferred IDP stock figure of the same place in the same unit. Households are
-- never compared with people. flag:
--   not_in_statistics  news gives a figure for a place with no official figure in any unit
--   other_unit_only    the statistics have the place only in the other unit: not compared
--   differs            the ratio passes `news_ratio_flag` (report_settings) either way
--   consistent         within that factor
--   no_news            an official figure with no article figure
CREATE OR REPLACE VIEW news_vs_official AS
WITH facts AS (
    SELECT f.iso3, CAST(CASE WHEN f.admin1_pcode IS NULL THEN 0 ELSE 1 END AS TINYINT)
               AS admin_level,
           f.admin1_pcode, f.unit, f.article_id, f.figure, f.qualifier, f.place_name,
           coalesce(f.event_date, CAST(a.published_at AS DATE), CAST(a.retrieved_at AS DATE),
                    CAST(f.retrieved_at AS DATE)) AS reported_on,
           f.event_date IS NULL AND a.published_at IS NULL AS undated, a.title, a.url
    FROM article_facts f
    LEFT JOIN articles a USING (article_id)
    WHERE f.iso3 IS NOT NULL AND f.figure IS NOT NULL AND f.unit IS NOT NULL
      AND coalesce(f.term, 'displaced') IN ('displaced', 'forced_to_flee', 'evacuated',
          'sheltered', 'in_relief_camp', 'relocated', 'homeless')
),
per_article AS (
    SELECT iso3, admin_level, admin1_pcode, unit, article_id, max(figure) AS figure,
           arg_max(qualifier, figure) AS qualifier, arg_max(place_name, figure) AS place_name,
           max(reported_on) AS reported_on, bool_and(undated) AS undated,
           any_value(title) AS title, any_value(url) AS url
    FROM facts
    GROUP BY iso3, admin_level, admin1_pcode, unit, article_id
),
news AS (
    SELECT *, count(*) OVER place AS articles
    FROM per_article
    WINDOW place AS (PARTITION BY iso3, admin_level, admin1_pcode, unit)
    QUALIFY row_number() OVER (
        PARTITION BY iso3, admin_level, admin1_pcode, unit
        ORDER BY undated, reported_on DESC NULLS LAST, figure DESC, article_id
    ) = 1
),
official AS (
    SELECT * FROM preferred_idp_figure
),
factor AS (
    SELECT max(value) FILTER (WHERE name = 'news_ratio_flag') AS factor FROM report_settings
),
joined AS (
    SELECT coalesce(n.iso3, o.iso3) AS iso3, coalesce(n.admin_level, o.admin_level) AS admin_level,
           coalesce(n.admin1_pcode, o.admin1_pcode) AS admin1_pcode, o.admin1_name,
           n.place_name AS news_place, coalesce(n.unit, o.unit) AS unit,
           o.figure AS official_figure, o.as_of AS official_as_of, o.source AS official_source,
           n.figure AS news_figure, n.qualifier AS news_qualifier, n.reported_on AS news_date,
           n.undated AS news_undated,
           n.article_id, n.title AS news_title, n.url AS news_url, n.articles,
           n.figure / o.figure AS ratio
    FROM news n
    FULL JOIN official o
        ON o.iso3 = n.iso3 AND o.admin_level = n.admin_level
       AND o.admin1_pcode IS NOT DISTINCT FROM n.admin1_pcode AND o.unit = n.unit
)
SELECT j.iso3, j.admin_level, j.admin1_pcode, coalesce(j.admin1_name, d.name) AS admin1_name,
       j.news_place, j.unit, j.official_figure, j.official_as_of, j.official_source,
       j.news_figure, j.news_qualifier, j.news_date, j.news_undated, j.article_id, j.news_title, j.news_url,
       coalesce(j.articles, 0) AS articles, j.ratio,
       CASE
           WHEN j.news_figure IS NULL THEN 'no_news'
           WHEN j.official_figure IS NOT NULL THEN
               CASE WHEN f.factor IS NOT NULL
                         AND (j.ratio > f.factor OR j.ratio * f.factor < 1) THEN 'differs'
                    ELSE 'consistent' END
           WHEN EXISTS (
               SELECT 1 FROM preferred_idp_figure p
               WHERE p.iso3 = j.iso3 AND p.admin_level = j.admin_level
                 AND p.admin1_pcode IS NOT DISTINCT FROM j.admin1_pcode
           ) THEN 'other_unit_only'
           ELSE 'not_in_statistics'
       END AS flag
FROM joined j
CROSS JOIN factor f
LEFT JOIN dim_admin d ON d.pcode = j.admin1_pcode;
COMMENT ON VIEW news_vs_official IS 'Latest article figure against the preferred official IDP figure, per country and admin1 and unit, with a flag.';
COMMENT ON COLUMN news_vs_official.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN news_vs_official.admin_level IS '0: the country (facts naming no admin1 unit); 1: an admin1 unit (facts inside it).';
COMMENT ON COLUMN news_vs_official.admin1_pcode IS 'Admin1 p-code (NULL for the country).';
COMMENT ON COLUMN news_vs_official.admin1_name IS 'Admin1 name (statistics, else dim_admin).';
COMMENT ON COLUMN news_vs_official.news_place IS 'Place named in the article for the news figure.';
COMMENT ON COLUMN news_vs_official.unit IS 'people or households: only like units are compared.';
COMMENT ON COLUMN news_vs_official.official_figure IS 'Preferred official IDP stock figure (preferred_idp_figure).';
COMMENT ON COLUMN news_vs_official.official_as_of IS 'Date of the official figure.';
COMMENT ON COLUMN news_vs_official.official_source IS 'Source of the official figure.';
COMMENT ON COLUMN news_vs_official.news_figure IS 'Largest displacement figure for the place in the latest article about it.';
COMMENT ON COLUMN news_vs_official.news_qualifier IS 'exact, approximately, more_than, less_than or up_to, as the article says.';
COMMENT ON COLUMN news_vs_official.news_date IS 'Event date of the fact, else the article''s publication (or retrieval) date.';
COMMENT ON COLUMN news_vs_official.news_undated IS 'True when neither the fact nor the article carries a date: news_date is when it was retrieved.';
COMMENT ON COLUMN news_vs_official.article_id IS 'The latest article (articles.article_id).';
COMMENT ON COLUMN news_vs_official.news_title IS 'Title of the latest article.';
COMMENT ON COLUMN news_vs_official.news_url IS 'Where the latest article was published.';
COMMENT ON COLUMN news_vs_official.articles IS 'Number of articles with a figure for this place and unit.';
COMMENT ON COLUMN news_vs_official.ratio IS 'news_figure / official_figure.';
COMMENT ON COLUMN news_vs_official.flag IS 'not_in_statistics, other_unit_only, differs (ratio beyond news_ratio_flag either way), consistent or no_news.';
