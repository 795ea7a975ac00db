-- The bundled reference files' hash and row count, once dim_country and dim_admin hold them.
INSERT OR REPLACE INTO reference_data (name, sha256, rows, loaded_at)
VALUES ($name, $sha256, $rows, now())
