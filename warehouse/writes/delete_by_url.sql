-- A reload of whole files: every row of {table} that came from one of them goes first.
DELETE FROM {table} WHERE source = $source AND source_url IN (SELECT unnest($urls))
