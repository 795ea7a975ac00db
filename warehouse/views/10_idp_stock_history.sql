-- IDP stock per source, place (country or admin1) and date. On each date the rows of a place
-- are summed, with one assessment type per date (baseline BA before site SA) so BA/SA
-- duplicates are not counted twice; admin2 rows are summed into their admin1 on dates the
-- source gives no admin1 figure. People and households stay apart (one row per unit).
CREATE OR REPLACE VIEW idp_stock_history AS
WITH stock AS (
    SELECT source, iso3, coalesce(admin_level, 0) AS admin_level, admin1_pcode, admin1_name,
           period_end, assessment_type, unit, figure
    FROM displacement
    WHERE metric = 'idp_stock' AND figure IS NOT NULL AND period_end IS NOT NULL
      AND coalesce(admin_level, 0) IN (0, 1, 2)
      AND (coalesce(admin_level, 0) = 0 OR admin1_pcode IS NOT NULL)
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
           period_end, unit, CAST(sum(figure) AS BIGINT) AS figure, count(*) AS records
    FROM one_assessment
    GROUP BY source, iso3, admin_level, admin1_pcode, period_end, unit
),
places AS (
    SELECT *, CASE admin_level WHEN 0 THEN 'country figure' ELSE 'admin1 figure' END AS basis
    FROM by_date
    WHERE admin_level IN (0, 1)
    UNION ALL
    SELECT source, iso3, 1, admin1_pcode, admin1_name, period_end, unit, figure, records,
           'sum of ' || records || ' admin2 figures'
    FROM by_date a2
    WHERE admin_level = 2
      AND NOT EXISTS (
          SELECT 1 FROM by_date a1
          WHERE a1.admin_level = 1 AND a1.source = a2.source AND a1.iso3 = a2.iso3
            AND a1.admin1_pcode = a2.admin1_pcode AND a1.period_end = a2.period_end
            AND a1.unit = a2.unit
      )
)
SELECT p.source, p.iso3, CAST(p.admin_level AS TINYINT) AS admin_level, p.admin1_pcode,
       coalesce(p.admin1_name, d.name) AS admin1_name, p.period_end AS as_of, p.unit, p.figure,
       p.records, p.basis
FROM places p
LEFT JOIN dim_admin d ON d.pcode = p.admin1_pcode;
COMMENT ON VIEW idp_stock_history IS 'IDP stock per source, country (admin_level 0) or admin1 (admin_level 1), date and unit: the series behind the trend charts.';
COMMENT ON COLUMN idp_stock_history.source IS 'Source name (as in sitrep.toml).';
COMMENT ON COLUMN idp_stock_history.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN idp_stock_history.admin_level IS '0 for the country figure, 1 for an admin1 unit.';
COMMENT ON COLUMN idp_stock_history.admin1_pcode IS 'Admin1 p-code (NULL for the country figure).';
COMMENT ON COLUMN idp_stock_history.admin1_name IS 'Admin1 name as the source gives it, else from dim_admin.';
COMMENT ON COLUMN idp_stock_history.as_of IS 'Date the figure refers to (period_end).';
COMMENT ON COLUMN idp_stock_history.unit IS 'people or households: never converted into each other.';
COMMENT ON COLUMN idp_stock_history.figure IS 'Internally displaced people (or households) on that date, summed over the records of that date.';
COMMENT ON COLUMN idp_stock_history.records IS 'Number of displacement rows summed into the figure.';
COMMENT ON COLUMN idp_stock_history.basis IS 'country figure, admin1 figure, or sum of N admin2 figures.';
