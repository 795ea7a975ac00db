-- The warehouse's copy of warehouse/preferences.toml goes before the new copy is written.
DELETE FROM source_priority;
DELETE FROM report_settings;
DELETE FROM tie_breaks;
