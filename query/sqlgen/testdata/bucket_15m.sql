SELECT time_bucket(INTERVAL '15 minutes', "shipped_at") AS "time_bucket('15 minutes', shipped_at)", max("price") AS "max(price)", count(*) AS "__dora_rows" FROM "shipments" WHERE "shipped_at" > CAST(? AS TIMESTAMP) GROUP BY 1 ORDER BY "time_bucket('15 minutes', shipped_at)" ASC NULLS LAST LIMIT 10001
-- $1 = '2025-05-25 12:00:00'
