-- IDP figures over time for a country: official series per source and place, news figures.
-- News figures with no event or publication date are left out: their retrieval date is no date.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT iso3, CASE admin_level WHEN 0 THEN 'country' ELSE 'admin1' END AS series,
       source, coalesce(admin1_name, admin1_pcode, iso3) AS place, as_of AS date, unit, figure
FROM idp_stock_history
WHERE $iso3 IS NULL OR iso3 = $iso3
UNION ALL
SELECT f.iso3, 'news', coalesce(a.publisher, a.source, f.source),
       coalesce(f.place_name, f.admin1_pcode, f.iso3),
       coalesce(f.event_date, CAST(a.published_at AS DATE), CAST(a.retrieved_at AS DATE),
                CAST(f.retrieved_at AS DATE)),
       f.unit, f.figure
FROM article_facts f LEFT JOIN articles a USING (article_id)
WHERE f.figure IS NOT NULL AND ($iso3 IS NULL OR f.iso3 = $iso3)
  AND (f.event_date IS NOT NULL OR a.published_at IS NOT NULL)
  AND coalesce(f.term, 'displaced') IN ('displaced', 'forced_to_flee', 'evacuated',
      'sheltered', 'in_relief_camp', 'relocated', 'homeless')
ORDER BY iso3, series, source, place, date;
