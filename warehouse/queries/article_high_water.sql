-- The newest publication time among the loaded articles of one source (incremental feeds).
-- @param source [A-Za-z0-9_.-]+ a configured source name such as rss
SELECT max(published_at) AS newest FROM articles WHERE source = $source
