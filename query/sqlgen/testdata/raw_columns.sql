SELECT "shipped_at", "user.name" FROM "shipments" WHERE "price" >= ? ORDER BY "shipped_at" DESC NULLS LAST LIMIT 50
-- $1 = 10
