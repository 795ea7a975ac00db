-- One numeric setting of warehouse/preferences.toml.
INSERT INTO report_settings (name, value) VALUES ($name, $value)
