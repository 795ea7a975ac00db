-- A hash of what the materialised figures depend on besides the data and the view files:
-- the preferences (source_priority, report_settings, tie_breaks), the reference data's
-- hashes (a source whose kind changes is refreshed by its load, warehouse/load.py).
SELECT md5(concat_ws('|',
    (SELECT string_agg(source || '=' || priority, ';' ORDER BY source) FROM source_priority),
    (SELECT string_agg(name || '=' || value, ';' ORDER BY name) FROM report_settings),
    (SELECT string_agg(position || '=' || name, ';' ORDER BY position) FROM tie_breaks),
    (SELECT string_agg(name || '=' || sha256, ';' ORDER BY name) FROM reference_data)
))
