package backends

import (
	"sync"
	"time"

	"github.com/dora-dev/dora/query"
)

// SchemaCache keeps the schemas a process has read, so validating a query and running it read
// the table's schema once. An entry holds while its stamp (what the backend can learn cheaply
// about a change, such as a file's modification time) is the same and for at most TTL; a backend
// forgets a table when the engine says the query does not fit it.
type SchemaCache struct {
	TTL time.Duration // 0 means no limit

	mu sync.Mutex
	m  map[string]cachedSchema
}

type cachedSchema struct {
	schema query.Schema
	stamp  string
	at     time.Time
}

// Get returns the schema read for table under stamp, if it is still fresh.
func (c *SchemaCache) Get(table, stamp string) (query.Schema, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[table]
	if !ok || e.stamp != stamp || c.TTL > 0 && time.Since(e.at) > c.TTL {
		return query.Schema{}, false
	}
	return e.schema, true
}

// Put remembers table's schema under stamp.
func (c *SchemaCache) Put(table, stamp string, s query.Schema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedSchema{}
	}
	c.m[table] = cachedSchema{schema: s, stamp: stamp, at: time.Now()}
}

// Forget drops table's schema, or every schema when table is "".
func (c *SchemaCache) Forget(table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if table == "" {
		c.m = nil
		return
	}
	delete(c.m, table)
}
