-- The DTM mapping, one implementation for every DTM route (HDX CSV read by DuckDB, API JSON
-- records, a CSV batch read by the careful reader). Input: the relation `dtm_rows` with the
-- DTM API field names as text (an absent field is NULL) and `_row`, the row number a user
-- sees in the file; `dtm_origin`, one row of lineage (source, source_url, retrieved_at,
-- load_run_id) and the file's name. What SQL cannot say comes per distinct value, computed in
-- Python (transforms/dtm_sql.py) into `dtm_keys`: per (level, country code, admin codes and
-- names) whether the country is known (and its gazetteer name), whether the p-codes fit their
-- country and level, and the admin units the gazetteer resolves them to. Dates are parsed
-- once per distinct text into `dtm_dates`. Statements are separated by `-- name:` lines.

-- name: macros
CREATE OR REPLACE TEMP MACRO dtm_number(t) AS
    CASE WHEN NOT contains(t, '_') THEN nullif(TRY_CAST(t AS DOUBLE), 'NaN'::DOUBLE) END;
-- The year, month and day of an ISO 8601 date as pandas reads one (2024-01-31,
-- 2024-1-31T00:00:00Z, 2024/01/31, 20240131, 2024-01, 2024); NULL for anything else.
CREATE OR REPLACE TEMP MACRO dtm_date_parts(t) AS CASE
    WHEN regexp_full_match(t, '\d{4}-\d{2}-\d{2}(?:T00:00:00)?')
        THEN {'y': t[1:4], 'm': t[6:7], 'd': t[9:10]}
    WHEN regexp_full_match(t, '\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ](?:[01]\d|2[0-3])(?::[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?')
        THEN regexp_extract(t, '^(\d{4})[-/](\d{1,2})[-/](\d{1,2})', ['y', 'm', 'd'])
    WHEN regexp_full_match(t, '\d{8}')
        THEN regexp_extract(t, '^(\d{4})(\d{2})(\d{2})$', ['y', 'm', 'd'])
    WHEN regexp_full_match(t, '\d{4}(?:-\d{1,2})?')
        THEN {'y': t[1:4], 'm': coalesce(nullif(t[6:], ''), '1'), 'd': '1'}
    END;
-- That date, between the years 1900 and 2100.
CREATE OR REPLACE TEMP MACRO dtm_date(p) AS CASE WHEN p.y::INTEGER BETWEEN 1900 AND 2100
    THEN try(make_date(p.y::INTEGER, p.m::INTEGER, p.d::INTEGER)) END;
-- A text as a JSON string, exactly as Python's json.dumps(ensure_ascii=False) writes it:
-- DuckDB writes some control characters as upper-case escapes (\u001F), Python lower-case.
-- Only a string holding `\u00` can need a change (one string search; the expression per
-- value cost a quarter of the mapping's text work).
CREATE OR REPLACE TEMP MACRO dtm_json(v) AS CASE
    WHEN NOT contains(to_json(v)::VARCHAR, '\u00') THEN to_json(v)::VARCHAR
    WHEN NOT regexp_matches(v, '[\x01-\x1f]') THEN to_json(v)::VARCHAR
    ELSE dtm_json_text(v)
    END;
-- One `"key": value` member of the `extra` object, NULL when the value is.
CREATE OR REPLACE TEMP MACRO dtm_member(k, v) AS '"' || k || '": ' || dtm_json(v);
-- A count written as a JSON integer when it is a whole number within float precision.
CREATE OR REPLACE TEMP MACRO dtm_count_member(k, v) AS
    CASE WHEN dtm_number(v) = floor(dtm_number(v)) AND abs(dtm_number(v)) < 9007199254740992
        THEN '"' || k || '": ' || CAST(CAST(dtm_number(v) AS BIGINT) AS VARCHAR) END;

-- name: bad_level
-- The first row whose adminLevel is not 0, 1 or 2: the file cannot be read.
SELECT _row, coalesce(adminLevel, '<NA>') AS got
FROM dtm_rows
WHERE dtm_number(adminLevel) IS NULL OR dtm_number(adminLevel) NOT IN (0, 1, 2)
ORDER BY _row
LIMIT 1

-- name: keys
-- Distinct values Python resolves once each: countries, p-codes per level, admin units.
SELECT DISTINCT CAST(dtm_number(adminLevel) AS TINYINT) AS level, admin0Pcode,
       admin1Pcode, admin2Pcode, admin1Name, admin2Name
FROM dtm_rows

-- name: dates
CREATE OR REPLACE TEMP TABLE dtm_dates AS
SELECT given, dtm_date(dtm_date_parts(trim(given))) AS reported
FROM (SELECT DISTINCT reportingDate AS given FROM dtm_rows)

-- name: checked
-- Every row mapped onto the displacement columns (places as given, and as resolved), with
-- its record id, the first problem found ([field, what, value shown]) and a content hash.
CREATE OR REPLACE TEMP VIEW dtm_checked AS
WITH looked_up AS (
    SELECT r.*, CAST(dtm_number(r.adminLevel) AS TINYINT) AS level, k.known,
           k.country_name, k.fits1, k.fits2, k.resolved_admin1_pcode, k.resolved_admin2_pcode,
           k.resolved_admin1_name, k.resolved_admin2_name, k.place_notes, k.unresolved,
           d.reported, dtm_number(r.numPresentIdpInd) AS figure_d
    FROM dtm_rows r
    LEFT JOIN dtm_keys k
        ON k.level IS NOT DISTINCT FROM CAST(dtm_number(r.adminLevel) AS TINYINT)
        AND k.admin0Pcode IS NOT DISTINCT FROM r.admin0Pcode
        AND k.admin1Pcode IS NOT DISTINCT FROM r.admin1Pcode
        AND k.admin2Pcode IS NOT DISTINCT FROM r.admin2Pcode
        AND k.admin1Name IS NOT DISTINCT FROM r.admin1Name
        AND k.admin2Name IS NOT DISTINCT FROM r.admin2Name
    LEFT JOIN dtm_dates d ON d.given IS NOT DISTINCT FROM r.reportingDate
), mapped AS (
    SELECT
        _row,
        CASE
            WHEN admin0Pcode IS NULL THEN ['admin0Pcode', 'missing country code', admin0Pcode]
            WHEN figure_d IS NULL THEN ['numPresentIdpInd', 'not a number', numPresentIdpInd]
            WHEN figure_d < 0 THEN ['numPresentIdpInd', 'negative figure', numPresentIdpInd]
            WHEN NOT abs(figure_d) < 9007199254740992
                THEN ['numPresentIdpInd', 'too large', numPresentIdpInd]
            WHEN figure_d <> floor(figure_d)
                THEN ['numPresentIdpInd', 'not a whole number', numPresentIdpInd]
            WHEN reported IS NULL THEN ['reportingDate', 'not a date', reportingDate]
            WHEN NOT known THEN ['admin0Pcode', 'unknown country code', admin0Pcode]
            WHEN level >= 1 AND NOT fits1
                THEN ['admin1Pcode', 'not an admin 1 p-code of its country', admin1Pcode]
            WHEN level >= 2 AND NOT fits2
                THEN ['admin2Pcode', 'not an admin 2 p-code of its country', admin2Pcode]
        END AS problem,
        -- DTM ids are per level and absent at admin 0; admin 0 rows repeat per origin admin
        -- 1, and the same place and date come once as baseline (BA), once as site (SA).
        concat_ws('|',
            'admin' || level,
            coalesce(operation, ''),
            coalesce(CASE level WHEN 0 THEN admin0Pcode WHEN 1 THEN admin1Pcode
                     ELSE admin2Pcode END, ''),
            coalesce(left(reportingDate, 10), ''),
            coalesce('r' || regexp_replace(roundNumber, '\.0$', ''), ''),
            coalesce(displacementReason, ''),
            coalesce(idpOriginAdmin1Pcode, ''),
            coalesce(assessmentType, '')
        ) AS source_record_id,
        country_name,
        upper(admin0Pcode) AS iso3,
        level AS admin_level,
        CASE WHEN level >= 1 THEN admin1Pcode END AS admin1_pcode,
        CASE WHEN level >= 2 THEN admin2Pcode END AS admin2_pcode,
        CASE WHEN level >= 1 THEN admin1Name END AS admin1_name,
        CASE WHEN level >= 2 THEN admin2Name END AS admin2_name,
        resolved_admin1_pcode, resolved_admin2_pcode, resolved_admin1_name,
        resolved_admin2_name, place_notes, unresolved,
        CASE level WHEN 0 THEN admin0Name WHEN 1 THEN admin1Name ELSE admin2Name END
            AS place_name,
        'idp_stock' AS metric,
        CASE lower(displacementReason)
            WHEN 'conflict' THEN 'conflict'
            WHEN 'insecurity' THEN 'conflict'
            WHEN 'natural disaster' THEN 'disaster'
            WHEN 'disaster' THEN 'disaster'
            WHEN 'other reason' THEN 'other'
            ELSE 'unknown'
        END AS cause,
        TRY_CAST(figure_d AS BIGINT) AS figure,
        'people' AS unit,
        'exact' AS qualifier,
        reported AS period_start,
        reported AS period_end,
        reported AS reported_on,
        CASE WHEN dtm_number(roundNumber) = floor(dtm_number(roundNumber))
            THEN TRY_CAST(dtm_number(roundNumber) AS INTEGER) END AS round_number,
        assessmentType AS assessment_type,
        operation AS event_name,
        -- Operation, reason, sex split and origin; `Not available` and null counts left out.
        nullif(concat_ws(', ',
            dtm_member('operation', nullif(operation, 'Not available')),
            dtm_member('displacementReason', nullif(displacementReason, 'Not available')),
            dtm_count_member('numberMales', numberMales),
            dtm_count_member('numberFemales', numberFemales),
            dtm_member('idpOriginAdmin1Name', nullif(idpOriginAdmin1Name, 'Not available')),
            dtm_member('idpOriginAdmin1Pcode', nullif(idpOriginAdmin1Pcode, 'Not available'))
        ), '') AS members
    FROM looked_up
)
SELECT *,
    -- The content as the source gave it (places unresolved), as `record_hash` always was:
    -- 16 hex digits of a 64-bit hash (a reload compares content, not this hash).
    lpad(to_hex(hash(iso3, admin_level, admin1_pcode, admin2_pcode, admin1_name, admin2_name,
        place_name, metric, cause, figure, unit, qualifier, period_start, round_number,
        assessment_type, event_name, members)), 16, '0') AS record_hash
FROM mapped

-- name: mapped
-- Rows as the transform gives them (places as the provider wrote them), lineage included.
SELECT iso3, admin_level, admin1_pcode, admin2_pcode, admin1_name, admin2_name, place_name,
       metric, cause, figure, unit, qualifier, period_start, period_end, reported_on,
       round_number, assessment_type, event_name, '{' || members || '}' AS extra,
       source_record_id, o.source, o.source_url, o.retrieved_at, o.load_run_id, record_hash
FROM dtm_checked, dtm_origin o
WHERE problem IS NULL
ORDER BY _row

-- name: staged
-- Rows as staged, in file order (`_file_row`): places resolved, countries named by the
-- gazetteer (a different provider name kept in `extra`), lineage.
CREATE OR REPLACE TEMP VIEW dtm_staged AS
SELECT m.iso3, m.admin_level, m.resolved_admin1_pcode AS admin1_pcode,
       m.resolved_admin2_pcode AS admin2_pcode, m.resolved_admin1_name AS admin1_name,
       m.resolved_admin2_name AS admin2_name,
       CASE WHEN m.admin_level = 0 AND m.country_name IS NOT NULL THEN m.country_name
            ELSE m.place_name END AS place_name,
       m.metric, m.cause, m.figure, m.unit, m.qualifier, m.period_start, m.period_end,
       m.reported_on, m.round_number, m.assessment_type, m.event_name,
       '{' || nullif(concat_ws(', ', m.members, m.place_notes,
           CASE WHEN m.admin_level = 0 AND m.place_name <> m.country_name
               THEN dtm_member('provider_place_name', m.place_name) END), '') || '}' AS extra,
       o.source, m.source_record_id, o.source_url, o.retrieved_at, o.load_run_id,
       m.record_hash, m._row AS _file_row
FROM dtm_checked m, dtm_origin o
WHERE m.problem IS NULL

-- name: counts
-- Staged rows, those naming an admin unit the gazetteer lacks, and the file's last row.
SELECT count(*) FILTER (WHERE problem IS NULL) AS placed,
       count(*) FILTER (WHERE problem IS NULL AND unresolved) AS unresolved,
       max(_row) AS last_row
FROM dtm_checked

-- name: rejects
-- Rows with a problem: where and why (the first problem only), and the record id.
SELECT _row AS row_no, source_record_id,
       o.name || ' row ' || _row || ' field ' || problem[1] || ': ' || problem[2]
           || ' (' || left(coalesce(problem[3], 'null'), 80) || ')' AS reason
FROM dtm_checked, dtm_origin o
WHERE problem IS NOT NULL
ORDER BY _row
