d_{n} AS (
    SELECT {keys}, min(_row) AS first_row
    FROM src
    WHERE {present}
    GROUP BY ALL
    HAVING count(*) > 1
)
