-- Record what the materialised figures were computed from ($1 name, $2 inputs key).
INSERT OR REPLACE INTO _figures (name, inputs, refreshed_at) VALUES (?, ?, now())
