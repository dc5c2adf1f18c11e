package query

import "time"

// Role says whether a result column is a group key or an aggregate.
type Role string

// The column roles.
const (
	RoleDimension Role = "dimension"
	RoleMetric    Role = "metric"
)

// Column describes one result column.
type Column struct {
	Name string
	Role Role
	Type Type
}

// Result is a backend's answer to a Spec. Row values are nil, bool, int64, float64, string or
// time.Time.
type Result struct {
	Columns []Column
	Rows    [][]any
	Meta    Meta
}

// Meta says where an answer came from and how far it can be trusted.
type Meta struct {
	Backend     string        // the backend URL, without credentials
	Request     string        // the exact request sent: SQL, or Elasticsearch JSON
	Took        time.Duration // wall time of the request
	Total       int64         // rows (hits) that matched the filters, -1 when unknown
	Approximate bool          // a metric or a group count may be off
	OtherCount  int64         // rows in groups cut off by the limit
	ErrorBound  int64         // Elasticsearch's doc_count_error_upper_bound
	Complete    bool          // false when a limit or row cap cut groups or rows off
}
