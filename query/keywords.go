package query

// keywords are the reserved words of the SQL subset and the SQL words dora refuses by name; an
// identifier spelled like one must be double-quoted.
var keywords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "GROUP": true, "BY": true, "HAVING": true,
	"ORDER": true, "LIMIT": true, "ASC": true, "DESC": true, "AND": true, "OR": true, "NOT": true,
	"IN": true, "BETWEEN": true, "IS": true, "NULL": true, "LIKE": true, "AS": true, "TRUE": true,
	"FALSE": true, "DISTINCT": true, "INTERVAL": true, "TIMESTAMP": true, "DATE": true,
	"JOIN": true, "UNION": true, "OVER": true, "WITH": true, "OFFSET": true, "ON": true,
	"INNER": true, "LEFT": true, "RIGHT": true, "FULL": true, "CROSS": true, "CASE": true,
	"INTERSECT": true, "EXCEPT": true, "WINDOW": true, "PARTITION": true, "INSERT": true,
	"UPDATE": true, "DELETE": true, "DROP": true, "CREATE": true, "ALTER": true,
}
