SELECT floor("price" / 25) * 25 AS "histogram(price, 25.0)", count(*) AS "count(*)", count(*) AS "__dora_rows" FROM "shipments" GROUP BY 1 ORDER BY "histogram(price, 25.0)" ASC NULLS LAST LIMIT 10001
