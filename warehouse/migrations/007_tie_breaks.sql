-- The order in which equally recent figures of equal source priority are told apart
-- (from warehouse/preferences.toml `tie_breaks`), read by preferred_idp_figure.
CREATE TABLE tie_breaks (
    position INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL
);
COMMENT ON TABLE tie_breaks IS 'Tie-breaks of the preferred figure, in order (from warehouse/preferences.toml); never the source name.';
COMMENT ON COLUMN tie_breaks.position IS '1 is applied first.';
COMMENT ON COLUMN tie_breaks.name IS 'newer_date, more_admin_units, own_total, baseline_first, retrieved_later or larger_figure.';
COMMENT ON COLUMN report_settings.name IS 'recency_window_days, news_ratio_flag, stale_after_days and the check thresholds below_admin1_share, round_change_limit, jump_factor; a missing one turns its rule off.';
