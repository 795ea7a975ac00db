-- One source (or kind) and its priority, from warehouse/preferences.toml.
INSERT INTO source_priority (source, priority) VALUES ($source, $priority)
