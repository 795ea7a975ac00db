-- How many displacement rows naming an admin unit resolve to a p-code of dim_admin, per source
-- and level (the deepest unit a row names: admin 2 when it names one, else admin 1).
CREATE OR REPLACE VIEW admin_resolution AS
SELECT d.source,
       d.admin_level,
       count(*) AS rows,
       count(a.pcode) AS resolved,
       count(*) - count(a.pcode) AS unresolved,
       round(100.0 * count(a.pcode) / count(*), 2) AS resolved_pct
FROM displacement AS d
LEFT JOIN dim_admin AS a
    ON a.pcode = CASE
        WHEN d.admin2_pcode IS NOT NULL OR d.admin2_name IS NOT NULL THEN d.admin2_pcode
        ELSE d.admin1_pcode
    END
WHERE d.admin_level >= 1
  AND coalesce(d.admin1_pcode, d.admin1_name, d.admin2_pcode, d.admin2_name) IS NOT NULL
GROUP BY d.source, d.admin_level;
