-- Rows of a source run that share their key with another row, and what becomes of them.
-- Rows of one key whose figure facts differ are all quarantined: no file order decides which
-- figure is right. Rows of one key with the same facts are one record: the first is kept and
-- the others are quarantined naming it. Keys are counted first; only repeated keys are read on.
WITH src AS (
    SELECT _row, source, source_record_id, source_url, {facts}
    FROM {source}
),
repeated_keys AS (
    SELECT source, source_record_id
    FROM src
    WHERE source_record_id IS NOT NULL
    GROUP BY ALL
    HAVING count(*) > 1
),
repeats AS (
    SELECT src.* FROM src SEMI JOIN repeated_keys USING (source, source_record_id)
),
keyed AS (
    SELECT source, source_record_id,
        count(*) AS copies,
        count(DISTINCT ({facts})) AS versions,
        min(_row) AS first_row,
        string_agg(DISTINCT CAST(figure AS VARCHAR), ', ' ORDER BY CAST(figure AS VARCHAR)) AS figures
    FROM repeats
    GROUP BY ALL
)
SELECT r._row AS row_no,
    CASE WHEN k.versions > 1
        THEN 'conflicting figures for one key: ' || k.source_record_id || ' (' || k.copies
            || ' rows, figures ' || k.figures || '); none loaded'
        ELSE 'exact duplicate of the first row with id ' || k.source_record_id || ' (from '
            || f.source_url || ')'
    END AS reason
FROM repeats r
JOIN keyed k USING (source, source_record_id)
JOIN repeats f ON f._row = k.first_row
WHERE k.versions > 1 OR r._row <> k.first_row
ORDER BY r._row
