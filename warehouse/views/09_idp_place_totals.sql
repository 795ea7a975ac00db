-- One IDP stock total per source, place (country or admin1), date and unit, from idp_totals:
-- on one date a source's baseline (BA) totals are taken before its site (SA) totals, and the
-- totals of its operations on that date are added up. `is_total` false rows are the same
-- for the roll-ups kept as alternatives (a country's sum of admin1 totals beside its own).
-- A place total fails the plausibility checks when one of its parts fails one.
CREATE OR REPLACE VIEW idp_place_totals AS
WITH failed AS (
    SELECT source, iso3, admin_level, admin1_pcode, operation, assessment_type, round_number,
           as_of, unit, how, string_agg("check", ', ' ORDER BY "check") AS checks_failed,
           string_agg(detail, '; ' ORDER BY "check") AS failure
    FROM idp_figure_checks
    GROUP BY ALL
),
checked AS (
    SELECT t.*, f.checks_failed, f.failure
    FROM idp_totals t
    LEFT JOIN failed f
        ON f.source = t.source AND f.iso3 = t.iso3 AND f.admin_level = t.admin_level
       AND f.admin1_pcode IS NOT DISTINCT FROM t.admin1_pcode AND f.unit = t.unit
       AND f.as_of = t.as_of AND f.how = t.how
       AND f.operation IS NOT DISTINCT FROM t.operation
       AND f.assessment_type IS NOT DISTINCT FROM t.assessment_type
       AND f.round_number IS NOT DISTINCT FROM t.round_number
),
one_assessment AS (
    SELECT *
    FROM checked
    QUALIFY dense_rank() OVER (
        PARTITION BY source, iso3, admin_level, admin1_pcode, as_of, unit, is_total
        ORDER BY CASE assessment_type WHEN 'BA' THEN 0 WHEN 'SA' THEN 1 ELSE 2 END
    ) = 1
)
SELECT source, any_value(kind) AS kind, iso3, admin_level, admin1_pcode,
       any_value(admin1_name) AS admin1_name, as_of, unit, is_total,
       CAST(sum(figure) AS BIGINT) AS figure,
       string_agg(DISTINCT how, '+' ORDER BY how) AS how, min(how_rank) AS how_rank,
       CAST(sum(records) AS BIGINT) AS records, CAST(sum(admin_units) AS INTEGER) AS admin_units,
       string_agg(DISTINCT operation, ', ' ORDER BY operation) AS operation,
       count(*) AS operations,
       CASE WHEN count(*) = 1 THEN any_value(round_number) END AS round_number,
       any_value(assessment_type) AS assessment_type, min(period_start) AS period_start,
       any_value(source_url) AS source_url, max(retrieved_at) AS retrieved_at,
       max(reported_on) AS reported_on,
       string_agg(DISTINCT checks_failed, ', ') AS checks_failed,
       string_agg(failure, '; ') AS failure, count(checks_failed) = 0 AS passes
FROM one_assessment
GROUP BY source, iso3, admin_level, admin1_pcode, as_of, unit, is_total;
COMMENT ON VIEW idp_place_totals IS 'One IDP stock total per source, place, date and unit (BA before SA, operations of the date added), and the roll-up alternatives (is_total false).';
COMMENT ON COLUMN idp_place_totals.is_total IS 'True: the total by the definition; false: a roll-up kept as an alternative.';
COMMENT ON COLUMN idp_place_totals.how IS 'How the parts were formed (idp_totals.how; several joined by +).';
COMMENT ON COLUMN idp_place_totals.operation IS 'The operations added up, comma-separated.';
COMMENT ON COLUMN idp_place_totals.operations IS 'Number of operations added up.';
COMMENT ON COLUMN idp_place_totals.round_number IS 'Round of the total (NULL when several operations were added).';
COMMENT ON COLUMN idp_place_totals.source IS 'Source name.';
COMMENT ON COLUMN idp_place_totals.kind IS 'Source kind.';
COMMENT ON COLUMN idp_place_totals.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN idp_place_totals.admin_level IS '0 country, 1 admin1.';
COMMENT ON COLUMN idp_place_totals.admin1_pcode IS 'Admin1 p-code (NULL for the country).';
COMMENT ON COLUMN idp_place_totals.admin1_name IS 'Admin1 name.';
COMMENT ON COLUMN idp_place_totals.as_of IS 'Date of the total.';
COMMENT ON COLUMN idp_place_totals.unit IS 'people or households.';
COMMENT ON COLUMN idp_place_totals.figure IS 'The total.';
COMMENT ON COLUMN idp_place_totals.how_rank IS '1: own rows; 2 and more: rolled up.';
COMMENT ON COLUMN idp_place_totals.records IS 'Displacement rows summed.';
COMMENT ON COLUMN idp_place_totals.admin_units IS 'Admin1 units behind the figure.';
COMMENT ON COLUMN idp_place_totals.assessment_type IS 'BA or SA (DTM).';
COMMENT ON COLUMN idp_place_totals.period_start IS 'Start of the reporting period.';
COMMENT ON COLUMN idp_place_totals.source_url IS 'A file or URL the rows came from.';
COMMENT ON COLUMN idp_place_totals.retrieved_at IS 'When the rows were retrieved.';
COMMENT ON COLUMN idp_place_totals.reported_on IS 'Date the provider reported the figure, where it says.';
COMMENT ON COLUMN idp_place_totals.checks_failed IS 'Plausibility checks a part of the total fails (idp_figure_checks).';
COMMENT ON COLUMN idp_place_totals.failure IS 'Those failures in words.';
COMMENT ON COLUMN idp_place_totals.passes IS 'True when no part fails a check.';
