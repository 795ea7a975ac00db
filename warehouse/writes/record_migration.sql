-- A migration applied.
INSERT INTO _migrations (version, name) VALUES ($version, $name)
