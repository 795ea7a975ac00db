-- What a total is: every IDP stock total a source's rows can form, per source, place (country
-- or admin1), operation, assessment type, round, date and unit, and `how` it was formed. This
-- file is the one place the rule lives:
--   reported_total    one row with no breakdown dimension: the provider's own total
--   sum_of_breakdown  rows of the same place, operation, round and date broken down by a
--                     dimension (per kind below: DTM reason and origin, UNHCR origin), summed
--   sum_of_admin1     a country: its admin1 totals of the same round summed
--   sum_of_admin2     an admin1 unit: its admin2 rows of the same round summed
--   sum_of_sites      an admin1 unit (or a country): its site, village or ward rows (admin 3,
--                     DTM baseline and site assessment workbooks) summed
-- A place's own rows come first (how_rank 1); only when it has none does the next level down
-- make its total (`is_total`). The roll-ups are kept beside as alternatives (is_total false),
-- so a country figure that fails a plausibility check can give way to the sum of its admin1
-- totals. People and households are summed apart, never converted.
CREATE OR REPLACE VIEW idp_totals AS
WITH breakdown_keys(kind, keys) AS (
    -- Fields of `extra` that make a row one part of a total, per source kind.
    VALUES ('dtm', ['displacementReason', 'idpOriginAdmin1Pcode']),
           ('unhcr', ['origin_iso3'])
),
kinds AS (
    SELECT source, arg_max(kind, finished_at) AS kind FROM load_runs GROUP BY source
),
stock AS (
    SELECT d.source, k.kind, d.iso3, least(coalesce(d.admin_level, 0), 3) AS admin_level,
           d.admin1_pcode, d.admin1_name, d.admin2_pcode,
           coalesce(d.event_name, json_extract_string(d.extra, '$.operation')) AS operation,
           coalesce(d.round_number,
                    TRY_CAST(regexp_extract(d.source_url, 'round[_ -]?([0-9]+)', 1) AS INTEGER))
               AS round_number,
           d.assessment_type, d.period_start, d.period_end AS as_of, d.unit, d.figure,
           d.source_url, d.retrieved_at, d.reported_on,
           coalesce(len(list_intersect(json_keys(d.extra), b.keys)) > 0, false) AS breakdown
    FROM displacement d
    LEFT JOIN kinds k USING (source)
    LEFT JOIN breakdown_keys b ON b.kind = k.kind
    WHERE d.metric = 'idp_stock' AND d.figure IS NOT NULL AND d.period_end IS NOT NULL
      AND d.iso3 IS NOT NULL
      AND (coalesce(d.admin_level, 0) = 0 OR d.admin1_pcode IS NOT NULL)
),
own AS (
    SELECT source, kind, iso3, admin_level, admin1_pcode, any_value(admin1_name) AS admin1_name,
           operation, assessment_type, round_number, as_of, unit,
           CAST(sum(figure) AS BIGINT) AS figure,
           CASE WHEN count(*) = 1 AND NOT bool_or(breakdown) THEN 'reported_total'
                ELSE 'sum_of_breakdown' END AS how,
           1 AS how_rank, count(*) AS records, CAST(admin_level = 1 AS INTEGER) AS admin_units,
           min(period_start) AS period_start, any_value(source_url) AS source_url,
           max(retrieved_at) AS retrieved_at, max(reported_on) AS reported_on
    FROM stock
    WHERE admin_level IN (0, 1)
    GROUP BY ALL
),
below AS (
    SELECT source, kind, iso3, 1 AS admin_level, admin1_pcode,
           any_value(admin1_name) AS admin1_name, operation, assessment_type, round_number,
           as_of, unit, CAST(sum(figure) AS BIGINT) AS figure,
           CASE admin_level WHEN 2 THEN 'sum_of_admin2' ELSE 'sum_of_sites' END AS how,
           admin_level AS how_rank, count(*) AS records, 1 AS admin_units,
           min(period_start) AS period_start, any_value(source_url) AS source_url,
           max(retrieved_at) AS retrieved_at, max(reported_on) AS reported_on
    FROM stock
    WHERE admin_level IN (2, 3)
    GROUP BY source, kind, iso3, admin1_pcode, operation, assessment_type, round_number, as_of,
             unit, admin_level
),
admin1 AS (
    SELECT *, how_rank = min(how_rank) OVER (
                  PARTITION BY source, iso3, admin1_pcode, operation, assessment_type,
                               round_number, as_of, unit) AS is_total
    FROM (SELECT * FROM own WHERE admin_level = 1 UNION ALL BY NAME SELECT * FROM below)
),
rolled_up AS (
    SELECT source, kind, iso3, 0 AS admin_level, CAST(NULL AS VARCHAR) AS admin1_pcode,
           CAST(NULL AS VARCHAR) AS admin1_name, operation, assessment_type, round_number,
           as_of, unit, CAST(sum(figure) AS BIGINT) AS figure,
           CASE WHEN count(DISTINCT how) = 1 AND any_value(how) IN ('sum_of_admin2', 'sum_of_sites')
                THEN any_value(how) ELSE 'sum_of_admin1' END AS how,
           2 AS how_rank, CAST(sum(records) AS BIGINT) AS records, count(*) AS admin_units,
           min(period_start) AS period_start, any_value(source_url) AS source_url,
           max(retrieved_at) AS retrieved_at, max(reported_on) AS reported_on
    FROM admin1
    WHERE is_total
    GROUP BY source, kind, iso3, operation, assessment_type, round_number, as_of, unit
),
country AS (
    SELECT o.* REPLACE (coalesce(r.admin_units, 0) AS admin_units), true AS is_total
    FROM (SELECT * FROM own WHERE admin_level = 0) o
    LEFT JOIN rolled_up r
        ON r.source = o.source AND r.iso3 = o.iso3 AND r.unit = o.unit AND r.as_of = o.as_of
       AND r.operation IS NOT DISTINCT FROM o.operation
       AND r.assessment_type IS NOT DISTINCT FROM o.assessment_type
       AND r.round_number IS NOT DISTINCT FROM o.round_number
    UNION ALL BY NAME
    SELECT r.*, NOT EXISTS (
        SELECT 1 FROM own o
        WHERE o.admin_level = 0 AND r.source = o.source AND r.iso3 = o.iso3 AND r.unit = o.unit
          AND r.as_of = o.as_of AND r.operation IS NOT DISTINCT FROM o.operation
          AND r.assessment_type IS NOT DISTINCT FROM o.assessment_type
          AND r.round_number IS NOT DISTINCT FROM o.round_number
    ) AS is_total
    FROM rolled_up r
)
SELECT t.source, t.kind, t.iso3, CAST(t.admin_level AS TINYINT) AS admin_level, t.admin1_pcode,
       coalesce(t.admin1_name, d.name) AS admin1_name, t.operation, t.assessment_type,
       t.round_number, t.period_start, t.as_of, t.unit, t.figure, t.how,
       CAST(t.how_rank AS TINYINT) AS how_rank, t.is_total, t.records,
       CAST(t.admin_units AS INTEGER) AS admin_units, t.source_url, t.retrieved_at, t.reported_on
FROM (SELECT * FROM country UNION ALL BY NAME SELECT * FROM admin1) t
LEFT JOIN dim_admin d ON d.pcode = t.admin1_pcode;
COMMENT ON VIEW idp_totals IS 'Every IDP stock total per source, place (country or admin1), operation, assessment type, round, date and unit, with how it was formed (the definition of a total).';
COMMENT ON COLUMN idp_totals.source IS 'Source name (as in sitrep.toml).';
COMMENT ON COLUMN idp_totals.kind IS 'Source kind of its last run (dtm, hapi-idps, ...): decides which fields are breakdown dimensions.';
COMMENT ON COLUMN idp_totals.iso3 IS 'ISO3 country code.';
COMMENT ON COLUMN idp_totals.admin_level IS '0 for the country, 1 for an admin1 unit.';
COMMENT ON COLUMN idp_totals.admin1_pcode IS 'Admin1 p-code (NULL for the country).';
COMMENT ON COLUMN idp_totals.admin1_name IS 'Admin1 name as the source gives it, else from dim_admin.';
COMMENT ON COLUMN idp_totals.operation IS 'DTM operation (or the provider''s event), NULL when the source has none.';
COMMENT ON COLUMN idp_totals.assessment_type IS 'BA (baseline) or SA (site assessment) for DTM; NULL otherwise.';
COMMENT ON COLUMN idp_totals.round_number IS 'Round of the assessment (DTM; for workbooks read from the file name).';
COMMENT ON COLUMN idp_totals.period_start IS 'Start of the reporting period (= as_of for a stock on one date).';
COMMENT ON COLUMN idp_totals.as_of IS 'Date the total refers to (period_end).';
COMMENT ON COLUMN idp_totals.unit IS 'people or households: summed apart, never converted.';
COMMENT ON COLUMN idp_totals.figure IS 'The total.';
COMMENT ON COLUMN idp_totals.how IS 'reported_total, sum_of_breakdown, sum_of_admin1, sum_of_admin2 or sum_of_sites.';
COMMENT ON COLUMN idp_totals.how_rank IS '1: from the place''s own rows; 2 and more: rolled up from lower levels.';
COMMENT ON COLUMN idp_totals.is_total IS 'True for the total by the definition (own rows first); false for a roll-up kept as an alternative.';
COMMENT ON COLUMN idp_totals.records IS 'Displacement rows summed into the total.';
COMMENT ON COLUMN idp_totals.admin_units IS 'Admin1 units behind the figure (a country: units the source reports in the same round).';
COMMENT ON COLUMN idp_totals.source_url IS 'A file or URL the rows came from (lineage), for the citation.';
COMMENT ON COLUMN idp_totals.retrieved_at IS 'When the rows were retrieved (newest).';
COMMENT ON COLUMN idp_totals.reported_on IS 'Date the provider reported the figure, where it says.';
