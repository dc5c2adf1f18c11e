SELECT "category" AS "category", count(*) AS "count(*)", avg("price") AS "avg(price)", count(*) AS "__dora_rows", count(*) OVER () AS "__dora_groups", sum(count(*)) OVER () AS "__dora_total" FROM "shipments" WHERE "region" = ? GROUP BY 1 ORDER BY "count(*)" DESC NULLS LAST, "category" ASC NULLS LAST LIMIT 10
-- $1 = 'West'
