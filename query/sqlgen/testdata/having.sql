SELECT "category" AS "category", count(*) AS "count(*)", avg("price") AS "avg(price)", count(*) AS "__dora_rows", count(*) OVER () AS "__dora_groups", sum(count(*)) OVER () AS "__dora_total" FROM "shipments" GROUP BY 1 HAVING ((count(*)) > ?) AND ((avg("price")) < ?) ORDER BY "count(*)" DESC NULLS LAST, "category" ASC NULLS LAST LIMIT 3
-- $1 = 100, $2 = 80
