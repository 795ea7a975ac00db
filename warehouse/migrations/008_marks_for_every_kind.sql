-- One mark store for every incremental kind: DTM and HAPI record the newest period they read,
-- and RSS and ReliefWeb keep their marks here instead of reading the newest loaded article.
-- Those two are seeded from that article, so an upgraded warehouse does not read its feeds
-- and reports again from the start.
INSERT INTO source_watermarks (source, kind, value, load_run_id, updated_at)
WITH kinds AS (
    SELECT source, arg_max(kind, started_at) AS kind
    FROM load_runs
    WHERE status = 'loaded'
    GROUP BY source
    HAVING arg_max(kind, started_at) IN ('rss', 'reliefweb')
),
newest AS (
    SELECT
        a.source,
        k.kind,
        CASE k.kind WHEN 'reliefweb' THEN split_part(a.source_url, '?', 1) ELSE a.source_url END
            AS location,
        strftime(timezone('UTC', max(a.published_at)), '%Y-%m-%dT%H:%M:%S+00:00') AS stamp
    FROM articles AS a
    JOIN kinds AS k USING (source)
    WHERE a.published_at IS NOT NULL AND a.source_url IS NOT NULL
    GROUP BY ALL
)
SELECT
    source,
    kind,
    json_group_object(
        location,
        json_object(CASE kind WHEN 'rss' THEN 'published_at' ELSE 'fields.date.created' END, stamp)
    ),
    NULL,
    now()
FROM newest
WHERE source NOT IN (SELECT source FROM source_watermarks)
GROUP BY source, kind;

COMMENT ON TABLE source_watermarks IS 'High-water marks of every incremental source (JSON object by location), written in the same transaction as the load that reached them.';
COMMENT ON COLUMN source_watermarks.value IS 'By kind: {"<url>": {"reportingDate": "..."}} (DTM API), {"<url>": {"reference_period_start": "..."}} (HDX HAPI), {"<url>": {"created_at": "..."}} (IDMC IDU), {"<url>": {"last_updated": "...", "year": 2024}} (IDMC GIDD), {"<url>": {"year": 2024}} (UNHCR), {"<url>": {"fields.date.created": "..."}} (ReliefWeb), {"<feed>": {"published_at": "..."}} (RSS).';
