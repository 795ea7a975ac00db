-- Rows in {source}, and per expectation the rows it applies to (GX's denominator).
SELECT count(*) AS element_count, {present}
FROM {source}
