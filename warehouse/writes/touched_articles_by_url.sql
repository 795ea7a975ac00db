-- Countries of the facts of the articles a reload of whole files replaces.
SELECT DISTINCT iso3 FROM article_facts
WHERE article_id IN (
    SELECT article_id FROM articles WHERE source = $source AND source_url IN (SELECT unnest($urls))
)
