-- Countries of the {table} rows a reload of whole files replaces.
SELECT DISTINCT iso3 FROM {table} WHERE source = $source AND source_url IN (SELECT unnest($urls))
