-- Rows that fail any expectation of a suite, in one pass over {source}:
-- c_N is true where Great Expectations counts expectation N as unexpected,
-- q_N where sitrep quarantines the row for it; reason names the first q_N in suite order.
WITH flags AS (
    SELECT _row, {columns}, {flags}
    FROM (SELECT _row, {columns} FROM {source})
)
SELECT _row, {flag_names}, CASE {reasons} END AS reason
FROM flags
WHERE {any_flag}
ORDER BY _row
