-- A reload of whole files: their quarantined rows of one table go too.
DELETE FROM quarantine
WHERE "table" = $table AND source = $source AND source_url IN (SELECT unnest($urls))
