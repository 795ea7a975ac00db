-- Latest IDP stock per country and source (admin 0 figure, else the sum of admin 1 figures),
-- optionally for one country: sitrep query --name latest-idps --param iso3=COD
WITH national AS (
    SELECT source, iso3, as_of, unit, figure, 'country figure' AS basis
    FROM latest_idp_stock WHERE admin_level = 0
),
summed AS (
    SELECT source, iso3, max(as_of) AS as_of, unit, sum(figure) AS figure,
           'sum of ' || count(*) || ' admin1 figures' AS basis
    FROM latest_idp_stock WHERE admin_level = 1
    GROUP BY source, iso3, unit
)
SELECT * FROM national WHERE $iso3 IS NULL OR iso3 = $iso3
UNION ALL
SELECT s.* FROM summed s
WHERE NOT EXISTS (SELECT 1 FROM national n WHERE n.source = s.source AND n.iso3 = s.iso3)
  AND ($iso3 IS NULL OR s.iso3 = $iso3)
ORDER BY iso3, source;
