package query

// keywords are the words PostgreSQL reserves that dora's subset uses or refuses by name; an
// identifier spelled like one must be double-quoted. Every other word, such as date, timestamp,
// interval, year, count or value, is an ordinary column name wherever a column can stand.
var keywords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "GROUP": true, "BY": true, "HAVING": true,
	"ORDER": true, "LIMIT": true, "OFFSET": true, "FETCH": true, "ASC": true, "DESC": true,
	"AND": true, "OR": true, "NOT": true, "IN": true, "BETWEEN": true, "IS": true, "NULL": true,
	"LIKE": true, "ILIKE": true, "AS": true, "TRUE": true, "FALSE": true, "DISTINCT": true,
	"ALL": true, "ANY": true, "SOME": true, "CASE": true, "WHEN": true, "THEN": true, "ELSE": true,
	"END": true, "CAST": true, "JOIN": true, "ON": true, "USING": true, "INNER": true, "LEFT": true,
	"RIGHT": true, "FULL": true, "OUTER": true, "CROSS": true, "NATURAL": true, "LATERAL": true,
	"UNION": true, "INTERSECT": true, "EXCEPT": true, "WITH": true, "WINDOW": true, "TABLE": true,
	"INTO": true, "CREATE": true, "GRANT": true, "CURRENT_TIMESTAMP": true, "CURRENT_DATE": true,
}
