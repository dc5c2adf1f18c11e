SELECT count(*) AS "count(*)", count(*) OVER () AS "__dora_groups", sum(count(*)) OVER () AS "__dora_total", count(*) AS "__dora_rows" FROM "shipments" WHERE "category" = ? LIMIT 10001
-- $1 = 'x''); DROP TABLE shipments; --'
