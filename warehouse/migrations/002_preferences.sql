-- Preferences the views read: source priority and report thresholds (from warehouse/preferences.toml).
CREATE TABLE source_priority (
    source VARCHAR PRIMARY KEY,
    priority INTEGER NOT NULL
);
COMMENT ON TABLE source_priority IS 'Source priority for the preferred figure (lower wins among equally recent figures); from warehouse/preferences.toml.';
COMMENT ON COLUMN source_priority.source IS 'Source name or source kind.';
COMMENT ON COLUMN source_priority.priority IS 'Lower wins; sources not listed rank after every listed one.';

CREATE TABLE report_settings (
    name VARCHAR PRIMARY KEY,
    value DOUBLE NOT NULL
);
COMMENT ON TABLE report_settings IS 'Thresholds of the views and the report (recency_window_days, news_ratio_flag, stale_after_days); from warehouse/preferences.toml.';

COMMENT ON COLUMN report_settings.name IS 'recency_window_days, news_ratio_flag or stale_after_days; a missing one turns its rule off.';
