-- Whether the views were created from these view files ($sha256) and all of them ($views) exist.
SELECT (SELECT sha256 FROM _view_definitions WHERE name = 'views') = $sha256
   AND (SELECT count(*) FROM duckdb_views()
        WHERE schema_name = 'main' AND NOT internal AND NOT temporary) = $views
