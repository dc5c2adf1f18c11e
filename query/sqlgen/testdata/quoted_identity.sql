SELECT "user.name" AS "user.name", count(*) AS "count(*)", count(*) AS "__dora_rows" FROM "shipments" GROUP BY 1 ORDER BY "user.name" ASC NULLS LAST LIMIT 10001
