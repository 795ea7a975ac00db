-- News figures against the preferred official figures, flagged rows first.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT iso3, admin_level, admin1_pcode, admin1_name, news_place, unit, news_figure,
       news_qualifier, news_date, news_undated, official_figure, official_as_of, official_source,
       round(ratio, 2) AS ratio, flag, news_title, news_url
FROM news_vs_official
WHERE flag <> 'no_news' AND ($iso3 IS NULL OR iso3 = $iso3)
ORDER BY iso3, flag = 'consistent', unit <> 'people', news_figure DESC, admin1_pcode;
