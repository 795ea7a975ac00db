-- Materialised figures: schema `figures` holds one table per view that the report and the
-- named queries read through (warehouse/figures.py creates them from the views and refreshes
-- them in each load's transaction); `_figures` records what they were computed from, so a
-- change of view definitions, preferences or reference data rebuilds them whole.
CREATE SCHEMA IF NOT EXISTS figures;
CREATE TABLE _figures (
    name VARCHAR PRIMARY KEY,
    inputs VARCHAR NOT NULL,
    refreshed_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE _figures IS 'State of the materialised figures (schema figures): a hash of the view definitions, preferences and reference data they were computed from.';
-- The view files the views were last created from: unchanged files are not created again
-- (binding the chain of views costs about a second at every connection that migrates).
CREATE TABLE _view_definitions (
    name VARCHAR PRIMARY KEY,
    sha256 VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE _view_definitions IS 'SHA-256 of the view files (warehouse/views/) the views were last created from.';
