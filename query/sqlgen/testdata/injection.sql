SELECT count(*) AS "count(*)", count(*) AS "__dora_rows" FROM "shipments" WHERE "category" = ? LIMIT 10001
-- $1 = 'x''); DROP TABLE shipments; --'
