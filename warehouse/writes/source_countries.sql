-- Every country a source has rows or article facts about.
SELECT DISTINCT iso3 FROM country_sources WHERE source = $source
