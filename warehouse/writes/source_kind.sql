-- The kind of a source's last run (NULL before its first).
SELECT arg_max(kind, finished_at) FROM load_runs WHERE source = $source
