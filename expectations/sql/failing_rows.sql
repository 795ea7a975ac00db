-- Rows that fail any expectation of a suite, in one pass over {source}:
-- c_N is true where Great Expectations counts expectation N as unexpected,
-- q_N where sitrep quarantines the row for it; reason names the first q_N in suite order.
-- d_N holds the keys that occur more than once for a uniqueness expectation N.
WITH src AS (
    SELECT _row, {columns} FROM {source}
){duplicates},
flags AS (
    SELECT _row, {columns}, {flags}
    FROM src{joins}
)
SELECT _row, {flag_names}, CASE {reasons} END AS reason
FROM flags
WHERE {any_flag}
ORDER BY _row
