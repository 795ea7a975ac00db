-- Which sources feed each country: displacement rows, or facts extracted from their articles.
CREATE OR REPLACE VIEW country_sources AS
SELECT DISTINCT iso3, source, 'displacement' AS table_name
FROM displacement WHERE iso3 IS NOT NULL
UNION
SELECT DISTINCT f.iso3, coalesce(a.source, f.source), 'articles'
FROM article_facts f LEFT JOIN articles a USING (article_id)
WHERE f.iso3 IS NOT NULL;
COMMENT ON VIEW country_sources IS 'Sources that feed each country (through displacement rows or article facts).';
COMMENT ON COLUMN country_sources.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN country_sources.source IS 'Source name.';
COMMENT ON COLUMN country_sources.table_name IS 'displacement, or articles when the country comes from facts extracted from its articles.';
