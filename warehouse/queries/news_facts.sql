-- Articles about a country with the displacement facts extracted from them, newest first.
-- @param iso3 [A-Z0-9]{3} an ISO3 code such as COD (all countries when left out)
SELECT f.iso3, f.article_id, a.title, a.url, a.publisher,
       coalesce(a.published_at, a.retrieved_at) AS seen_at, a.published_at IS NULL AS undated,
       f.fact_no, f.place_name, f.admin1_pcode, f.admin2_pcode, f.figure, f.unit, f.term,
       f.qualifier, f.event_date, f.sentence, round(f.confidence, 2) AS confidence,
       (SELECT string_agg(p.place_name || coalesce(' ' || coalesce(p.admin2_pcode, p.admin1_pcode), '')
                          || ' ×' || p.mentions, ', ' ORDER BY p.place_no)
        FROM article_places p WHERE p.article_id = f.article_id AND p.place_no <= 5) AS about_places
FROM article_facts f
LEFT JOIN articles a USING (article_id)
WHERE $iso3 IS NULL OR f.iso3 = $iso3
ORDER BY seen_at DESC NULLS LAST, f.article_id, f.fact_no;
