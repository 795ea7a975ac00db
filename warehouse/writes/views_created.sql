-- Record the view files the views were created from ($name, $sha256).
INSERT OR REPLACE INTO _view_definitions (name, sha256, created_at) VALUES ($name, $sha256, now())
