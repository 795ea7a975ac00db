-- Plausibility checks on the totals (idp_totals): one row per total and check it fails. The
-- thresholds are in warehouse/preferences.toml ([checks], copied into report_settings); a
-- missing threshold turns its check off. After each load the counts per source go to
-- validation_results (table `idp_totals`), and preferred_idp_figure passes over a failing
-- figure while a passing one exists.
--   below_admin1_sum      a country total below `below_admin1_share` (0.5) of the sum of the
--                         same source's admin1 totals of the same operation, round and date
--   round_change          a total that moved by more than `round_change_limit` (0.9 = 90 %)
--                         from the previous round of the same source, place and operation
--   reported_after_retrieved  a total dated later than the day its rows were retrieved
--   jump_over_earlier     a country total `jump_factor` (10) times or more the largest earlier
--                         total of that country from any source, in the same unit
CREATE OR REPLACE VIEW idp_figure_checks AS
WITH settings AS (
    SELECT max(value) FILTER (WHERE name = 'below_admin1_share') AS share,
           max(value) FILTER (WHERE name = 'round_change_limit') AS change_limit,
           max(value) FILTER (WHERE name = 'jump_factor') AS jump
    FROM report_settings
),
t AS (
    SELECT *, lag(figure) OVER series AS previous, lag(as_of) OVER series AS previous_as_of,
           max(figure) OVER (
               PARTITION BY iso3, admin_level, admin1_pcode, unit ORDER BY as_of
               RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ) AS earlier_max
    FROM idp_totals
    WINDOW series AS (
        PARTITION BY source, iso3, admin_level, admin1_pcode, operation, assessment_type, unit, how
        ORDER BY as_of
    )
),
below AS (
    SELECT t.*, 'below_admin1_sum' AS "check", a.figure AS compared_to,
           format('{:,} is below {:.0f}% of {:,}, the sum of its {} admin1 totals', t.figure,
                  s.share * 100, a.figure, a.admin_units) AS detail
    FROM t
    CROSS JOIN settings s
    JOIN idp_totals a
        ON a.admin_level = 0 AND a.how = 'sum_of_admin1' AND a.source = t.source
       AND a.iso3 = t.iso3 AND a.unit = t.unit AND a.as_of = t.as_of
       AND a.operation IS NOT DISTINCT FROM t.operation
       AND a.assessment_type IS NOT DISTINCT FROM t.assessment_type
       AND a.round_number IS NOT DISTINCT FROM t.round_number
    WHERE t.admin_level = 0 AND t.how_rank = 1 AND t.figure < s.share * a.figure
),
moved AS (
    SELECT t.*, 'round_change', t.previous,
           format('{:,} is {:+.0f}% from {:,} on {}', t.figure,
                  100.0 * (t.figure - t.previous) / t.previous, t.previous, t.previous_as_of)
    FROM t CROSS JOIN settings s
    WHERE t.previous > 0 AND abs(t.figure - t.previous) > s.change_limit * t.previous
),
future AS (
    SELECT t.*, 'reported_after_retrieved', NULL,
           format('dated {}, after it was retrieved on {}', t.as_of, CAST(t.retrieved_at AS DATE))
    FROM t
    WHERE t.as_of > CAST(t.retrieved_at AS DATE)
),
jumped AS (
    SELECT t.*, 'jump_over_earlier', t.earlier_max,
           format('{:,} is {:.0f} times the largest earlier figure for the country ({:,})',
                  t.figure, t.figure / t.earlier_max, t.earlier_max)
    FROM t CROSS JOIN settings s
    WHERE t.admin_level = 0 AND t.earlier_max > 0 AND t.figure >= s.jump * t.earlier_max
)
SELECT source, iso3, admin_level, admin1_pcode, operation, assessment_type, round_number, as_of,
       unit, how, figure, "check", compared_to, detail
FROM (
    SELECT * FROM below UNION ALL SELECT * FROM moved
    UNION ALL SELECT * FROM future UNION ALL SELECT * FROM jumped
);
COMMENT ON VIEW idp_figure_checks IS 'IDP totals that fail a plausibility check (thresholds in warehouse/preferences.toml), one row per total and check.';
COMMENT ON COLUMN idp_figure_checks.source IS 'Source of the total.';
COMMENT ON COLUMN idp_figure_checks.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN idp_figure_checks.admin_level IS '0 country, 1 admin1.';
COMMENT ON COLUMN idp_figure_checks.admin1_pcode IS 'Admin1 p-code (NULL for the country).';
COMMENT ON COLUMN idp_figure_checks.operation IS 'Operation of the total.';
COMMENT ON COLUMN idp_figure_checks.assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN idp_figure_checks.round_number IS 'Round of the total.';
COMMENT ON COLUMN idp_figure_checks.as_of IS 'Date of the total.';
COMMENT ON COLUMN idp_figure_checks.unit IS 'people or households.';
COMMENT ON COLUMN idp_figure_checks.how IS 'How the total was formed (idp_totals.how).';
COMMENT ON COLUMN idp_figure_checks.figure IS 'The total that fails.';
COMMENT ON COLUMN idp_figure_checks."check" IS 'below_admin1_sum, round_change, reported_after_retrieved or jump_over_earlier.';
COMMENT ON COLUMN idp_figure_checks.compared_to IS 'The figure it was compared with (admin1 sum, previous round, largest earlier).';
COMMENT ON COLUMN idp_figure_checks.detail IS 'The failure in words.';
