-- Rows of a lake file that share their key with another row, and what becomes of them.
-- Rows of one key whose figure facts differ are all quarantined: no file order decides which
-- figure is right. Rows of one key with the same facts are one record: the first is kept and
-- the others are quarantined naming it.
WITH src AS (
    SELECT file_row_number AS _row, * FROM read_parquet({source}, file_row_number = true)
),
keyed AS (
    SELECT _row, source_url, source_record_id,
        count(*) OVER k AS copies,
        count(DISTINCT ({facts})) OVER k AS versions,
        min(_row) OVER k AS first_row,
        string_agg(DISTINCT CAST(figure AS VARCHAR), ', ' ORDER BY CAST(figure AS VARCHAR)) OVER k AS figures
    FROM src
    WHERE source_record_id IS NOT NULL
    WINDOW k AS (PARTITION BY source, source_record_id)
)
SELECT d._row AS row_no,
    CASE WHEN d.versions > 1
        THEN 'conflicting figures for one key: ' || d.source_record_id || ' (' || d.copies
            || ' rows, figures ' || d.figures || '); none loaded'
        ELSE 'exact duplicate of the first row with id ' || d.source_record_id || ' (from '
            || f.source_url || ')'
    END AS reason
FROM keyed d JOIN keyed f ON f._row = d.first_row
WHERE d.copies > 1 AND (d.versions > 1 OR d._row <> d.first_row)
ORDER BY d._row
