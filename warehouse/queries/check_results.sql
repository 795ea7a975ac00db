-- Per plausibility check of expectations/idp_totals.json: how many totals of one source fail
-- it and a few examples; written to validation_results after each load of the source.
-- @param source [A-Za-z0-9_.-]+ a configured source name such as dtm
WITH checks(name) AS (
    VALUES ('below_admin1_sum'), ('round_change'), ('reported_after_retrieved'),
           ('jump_over_earlier')
),
failing AS (
    SELECT * FROM idp_figure_checks WHERE source = $source
)
SELECT c.name AS "check", count(f."check") AS unexpected_count,
       (SELECT count(*) FROM idp_totals WHERE source = $source) AS checked,
       coalesce(list(f.iso3 || coalesce(' ' || f.admin1_pcode, '') || ' ' || f.as_of || ': '
                     || f.detail ORDER BY f.as_of DESC) FILTER (WHERE f."check" IS NOT NULL),
                [])[1:5] AS examples
FROM checks c
LEFT JOIN failing f ON f."check" = c.name
GROUP BY c.name
ORDER BY c.name;
