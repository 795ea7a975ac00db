-- One digest per country of the rows its page is drawn from (displacement rows, article facts
-- and their articles): a page is drawn again only when its digest changes. Added, revised and
-- removed rows all change it; a reload of identical rows does not.
SELECT iso3, count(*) AS rows, sum(hash(record_hash)::HUGEINT) AS digest
FROM (
    SELECT iso3, record_hash FROM displacement WHERE iso3 IS NOT NULL
    UNION ALL
    SELECT f.iso3, concat_ws('|', f.record_hash, a.content_hash, a.title, a.url, a.publisher,
                            a.published_at)
    FROM article_facts f LEFT JOIN articles a USING (article_id)
    WHERE f.iso3 IS NOT NULL
)
GROUP BY iso3;
