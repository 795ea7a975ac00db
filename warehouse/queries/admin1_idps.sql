-- Per admin1 unit of a country: preferred IDP figures (people, households), how each was
-- formed, the change since the previous round, and the news signal.
-- The news column shows the latest figure in people, else in households.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
WITH units AS (
    SELECT iso3, admin1_pcode FROM preferred_idp_figure WHERE admin_level = 1
    UNION
    SELECT iso3, admin1_pcode FROM news_vs_official WHERE admin_level = 1
),
people AS (SELECT * FROM preferred_idp_figure WHERE admin_level = 1 AND unit = 'people'),
households AS (SELECT * FROM preferred_idp_figure WHERE admin_level = 1 AND unit = 'households'),
news AS (
    SELECT iso3, admin1_pcode, any_value(admin1_name) AS admin1_name,
           arg_max(news_place, {'people': unit = 'people', 'date': news_date}) AS news_place,
           arg_max(news_figure, {'people': unit = 'people', 'date': news_date}) AS news_figure,
           arg_max(news_qualifier, {'people': unit = 'people', 'date': news_date})
               AS news_qualifier,
           arg_max(unit, {'people': unit = 'people', 'date': news_date}) AS news_unit,
           string_agg(DISTINCT flag, ', ') AS news_flags
    FROM news_vs_official
    WHERE admin_level = 1 AND flag <> 'no_news'
    GROUP BY iso3, admin1_pcode
)
SELECT u.iso3, u.admin1_pcode,
       coalesce(p.admin1_name, h.admin1_name, n.admin1_name) AS admin1_name,
       p.figure AS idps, p.as_of, p.source, p.rule, h.figure AS idp_households,
       n.news_place, n.news_figure, n.news_qualifier, n.news_unit, n.news_flags,
       p.how, p.basis, p.round_number, p.operation, p.previous_figure, p.change, p.change_pct,
       p.passed_over, h.as_of AS households_as_of, h.source AS households_source,
       h.how AS households_how, h.basis AS households_basis, h.change_pct AS households_change_pct
FROM units u
LEFT JOIN people p USING (iso3, admin1_pcode)
LEFT JOIN households h USING (iso3, admin1_pcode)
LEFT JOIN news n USING (iso3, admin1_pcode)
WHERE $iso3 IS NULL OR u.iso3 = $iso3
ORDER BY u.iso3, coalesce(p.figure, h.figure) DESC NULLS LAST, u.admin1_pcode;
