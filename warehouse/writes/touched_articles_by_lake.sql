-- Countries of the facts of the articles a lake file brings a new version of.
SELECT DISTINCT iso3 FROM article_facts
WHERE article_id IN (SELECT article_id FROM read_parquet($lake))
