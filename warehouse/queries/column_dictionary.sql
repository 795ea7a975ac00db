-- The column dictionary: every table and view with its columns, types and descriptions.
-- @param object [A-Za-z_][A-Za-z0-9_]* a table or view name (all when left out)
WITH objects AS (
    SELECT table_name AS object, 'table' AS kind, comment FROM duckdb_tables()
    WHERE schema_name = 'main' AND NOT internal AND NOT temporary
    UNION ALL
    SELECT view_name, 'view', comment FROM duckdb_views()
    WHERE schema_name = 'main' AND NOT internal AND NOT temporary
),
entries AS (
    SELECT object, kind, '' AS "column", upper(kind) AS type, comment AS description,
           -1 AS position
    FROM objects
    UNION ALL
    SELECT o.object, o.kind, c.column_name, c.data_type, c.comment, c.column_index
    FROM objects o
    JOIN duckdb_columns() c ON c.table_name = o.object AND c.schema_name = 'main'
)
SELECT object, "column", type, coalesce(description, '') AS description
FROM entries
WHERE NOT starts_with(object, '_') AND ($object IS NULL OR object = $object)
ORDER BY kind, object, position;
