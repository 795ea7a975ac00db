-- One IDP stock figure per source, country and unit: the source's country figure when it has
-- one, else the sum of the latest figure of each of its admin1 units (their dates may differ:
-- `oldest_as_of` shows how far back the sum reaches).
CREATE OR REPLACE VIEW latest_idp_country AS
WITH national AS (
    SELECT source, iso3, unit, as_of, figure, as_of AS oldest_as_of, 1 AS places, basis
    FROM latest_idp_stock
    WHERE admin_level = 0
),
summed AS (
    SELECT source, iso3, unit, max(as_of) AS as_of, CAST(sum(figure) AS BIGINT) AS figure,
           min(as_of) AS oldest_as_of, count(*) AS places
    FROM latest_idp_stock
    WHERE admin_level = 1
    GROUP BY source, iso3, unit
)
SELECT * FROM national
UNION ALL
SELECT s.*,
       'sum of ' || s.places || ' admin1 figures'
       || CASE WHEN s.oldest_as_of < s.as_of
               THEN ' dated ' || s.oldest_as_of || ' to ' || s.as_of ELSE '' END
FROM summed s
WHERE NOT EXISTS (
    SELECT 1 FROM national n WHERE n.source = s.source AND n.iso3 = s.iso3 AND n.unit = s.unit
);
COMMENT ON VIEW latest_idp_country IS 'Newest IDP stock per source, country and unit: the country figure, else the sum of the newest admin1 figures.';
COMMENT ON COLUMN latest_idp_country.source IS 'Source name (as in sitrep.toml).';
COMMENT ON COLUMN latest_idp_country.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN latest_idp_country.unit IS 'people or households: never converted into each other.';
COMMENT ON COLUMN latest_idp_country.as_of IS 'Date of the figure (for a sum: the newest admin1 date).';
COMMENT ON COLUMN latest_idp_country.figure IS 'Internally displaced people (or households).';
COMMENT ON COLUMN latest_idp_country.oldest_as_of IS 'Oldest date inside a sum of admin1 figures (= as_of for a country figure).';
COMMENT ON COLUMN latest_idp_country.places IS 'Number of admin1 figures summed (1 for a country figure).';
COMMENT ON COLUMN latest_idp_country.basis IS 'How the figure was formed: country figure, or sum of N admin1 figures.';
