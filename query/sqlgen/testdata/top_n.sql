SELECT "category" AS "category", count(*) AS "count(*)", avg("price") AS "avg(price)", count(*) OVER () AS "__dora_groups", sum(count(*)) OVER () AS "__dora_total", count(*) AS "__dora_rows" FROM "shipments" WHERE "region" = ? GROUP BY 1 ORDER BY "count(*)" DESC NULLS LAST, "category" ASC NULLS LAST LIMIT 10
-- $1 = 'West'
