-- Latest IDP stock per source, country and admin1: the newest reporting date wins, and on that
-- date the figures of every admin1 (or admin2 rolled up) row are summed, one assessment type
-- (baseline BA preferred over site SA) per date so BA/SA duplicates are not counted twice.
CREATE OR REPLACE VIEW latest_idp_stock AS
WITH stock AS (
    SELECT source, iso3, admin_level, admin1_pcode, admin1_name, period_end, assessment_type,
           unit, figure
    FROM displacement
    WHERE metric = 'idp_stock' AND admin_level IN (0, 1)
),
one_assessment AS (
    SELECT *
    FROM stock
    QUALIFY dense_rank() OVER (
        PARTITION BY source, iso3, admin_level, admin1_pcode, period_end, unit
        ORDER BY CASE assessment_type WHEN 'BA' THEN 0 WHEN 'SA' THEN 1 ELSE 2 END
    ) = 1
),
by_date AS (
    SELECT source, iso3, admin_level, admin1_pcode, any_value(admin1_name) AS admin1_name,
           period_end, unit, sum(figure) AS figure, count(*) AS records
    FROM one_assessment
    GROUP BY ALL
)
SELECT source, iso3, admin_level, admin1_pcode, admin1_name, period_end AS as_of, unit, figure,
       records
FROM by_date
QUALIFY row_number() OVER (
    PARTITION BY source, iso3, admin_level, admin1_pcode, unit ORDER BY period_end DESC
) = 1;
