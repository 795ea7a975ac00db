-- One tie-break of warehouse/preferences.toml, in order.
INSERT INTO tie_breaks (position, name) VALUES ($position, $name)
