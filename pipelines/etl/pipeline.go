// Package etl writes warehouse tables from one YAML pipeline file each: the incoming rows are
// cleansed, validated (failures quarantined with their reasons), measured and checked, journalized
// when the table keeps history, and committed as one Apache Iceberg snapshot, all inside an
// in-process DuckDB. A run either publishes a whole new version or writes nothing.
package etl

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/query"
)

// Pipeline is one table's ETL, read from a file like:
//
//	table: film.movies
//	source: s3://raw/movies/2024-01-02/
//	cleanse:
//	  trim: [distributor, director]
//	  dedupe: [movie_id]
//	validate:
//	  rules:
//	    - not_null: [movie_id]
//	    - range: {column: imdb_rating, min: 0, max: 10}
//	  on_fail: quarantine
//	quality:
//	  checks:
//	    - {check: "row_count > 0", level: error}
//	journal:
//	  key: [movie_id]
//	  strategy: check
//	  hard_deletes: invalidate
//	write:
//	  partition_by: [day(released_at)]
//	load_to: {backend: "http://127.0.0.1:9200", table: movies}
type Pipeline struct {
	File      string
	Table     string // namespace.table
	Source    string // a file, a folder or an s3:// prefix
	Format    string // "" to tell by each object's name
	Catalog   string // "" for DORA_CATALOG, the config file, then the default
	Warehouse string
	Cleanse   []Step
	Validate  Validate
	Checks    []Check
	Journal   *Journal
	Write     Write
	LoadTo    *LoadTo
	lines     []string // the file's, for quoting in errors found at run time
}

// Pos is a place in the pipeline file, kept so that a problem found at run time (a column the
// source does not have) still points at the line that named it.
type Pos struct{ Line, Column int }

// Step is one cleanse operation, applied in the order the file gives them.
type Step struct {
	Op      string            // trim, lower, upper, rename, cast, defaults, regex_replace, drop_if_null, dedupe
	Columns []string          // trim, lower, upper, drop_if_null, dedupe
	Map     map[string]string // rename (old: new), cast (column: SQL type), defaults (column: value)
	Order   []string          // Map's keys in the file's order
	Regex   []RegexReplace
	Pos     Pos
	colPos  map[string]Pos
}

// RegexReplace rewrites a column's values with a regular expression (RE2, as DuckDB's).
type RegexReplace struct {
	Column, Pattern, Replacement string
}

// Validate is the rules every row must pass.
type Validate struct {
	Rules  []Rule
	OnFail string // quarantine (the default) or fail
	// MaxQuarantined fails the run when more rows than this are quarantined: a count, or a
	// fraction of rows_in when MaxFraction.
	MaxQuarantined float64
	MaxFraction    bool
	HasMax         bool
}

// Rule is one validation rule. NULL passes range, regex and accepted_values; not_null is its own
// rule, as in dbt and Great Expectations.
type Rule struct {
	Kind     string   // not_null, unique, range, accepted_values, regex
	Columns  []string // not_null and unique (one key of several columns for unique)
	Column   string   // range, accepted_values, regex
	Min, Max string   // range bounds as written; "" for none
	Values   []string // accepted_values
	Pattern  string   // regex
	Pos      Pos
}

// Check is a data-quality check: a SQL expression over the batch's metrics.
type Check struct {
	Expr  string
	Level string // error or warn
	Pos   Pos
	expr  *checkExpr
	// exprAt is where the expression's first character is, so a metric in it can be pointed at.
	exprAt Pos
}

// Journal keeps a history of mutable records (SCD type 2).
type Journal struct {
	Key          []string
	Strategy     string   // check or timestamp
	CheckColumns []string // check: the columns compared (default: every column but the key)
	UpdatedAt    string   // timestamp: the column whose increase is a change
	HardDeletes  string   // ignore, invalidate or new_record
	Pos          Pos
}

// Write says how the table is laid out.
type Write struct {
	PartitionBy []string
}

// LoadTo loads the published version into a backend after the commit.
type LoadTo struct {
	Backend, Table string
}

var (
	pipelineKeys = []string{"table", "source", "format", "catalog", "warehouse", "cleanse", "validate", "quality", "journal", "write", "load_to"}
	cleanseOps   = []string{"trim", "lower", "upper", "rename", "cast", "defaults", "regex_replace", "drop_if_null", "dedupe"}
	validateKeys = []string{"rules", "on_fail", "max_quarantined"}
	ruleKinds    = []string{"not_null", "unique", "range", "accepted_values", "regex"}
	journalKeys  = []string{"key", "strategy", "check_columns", "updated_at", "hard_deletes"}
	tableName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$`)
	formats      = []string{"parquet", "csv", "tsv", "ndjson"}
)

// ReadPipeline reads and parses a pipeline file.
func ReadPipeline(path string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the pipeline: %w", err)
	}
	return ParsePipeline(path, data)
}

// ParsePipeline reads one pipeline file. Unknown keys are refused and every problem is reported
// at its line and column (the error is a yamlfile.Errors).
func ParsePipeline(path string, data []byte) (*Pipeline, error) {
	f, root := yamlfile.Parse(path, data)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if root == nil {
		f.Errorf(nil, "the file is empty: a pipeline needs at least table: and source:")
		return nil, f.Err()
	}
	p := &Pipeline{File: path, Validate: Validate{OnFail: "quarantine"}, lines: strings.Split(string(data), "\n")}
	f.Fields(root, "the pipeline", pipelineKeys, func(key string, v *yaml.Node) {
		switch key {
		case "table":
			if s, ok := f.Scalar(v, "table"); ok {
				if !tableName.MatchString(s) {
					f.Errorf(v, "table %q should be NAMESPACE.TABLE, as in film.movies (letters, digits and '_')", s)
				}
				p.Table = s
			}
		case "source":
			p.Source, _ = f.Scalar(v, "source")
		case "format":
			if s, ok := f.Scalar(v, "format"); ok {
				if !slices.Contains(formats, s) {
					f.Errorf(v, "format %q is not one of %s", s, strings.Join(formats, ", "))
				}
				p.Format = s
			}
		case "catalog":
			p.Catalog, _ = f.Scalar(v, "catalog")
		case "warehouse":
			p.Warehouse, _ = f.Scalar(v, "warehouse")
		case "cleanse":
			p.Cleanse = parseCleanse(f, v)
		case "validate":
			parseValidate(f, v, &p.Validate)
		case "quality":
			f.Fields(v, "quality", []string{"checks"}, func(_ string, v *yaml.Node) { p.Checks = parseChecks(f, v) })
		case "journal":
			p.Journal = parseJournal(f, v)
		case "write":
			f.Fields(v, "write", []string{"partition_by"}, func(_ string, v *yaml.Node) {
				p.Write.PartitionBy = f.StringList(v, "write.partition_by")
				for i, s := range p.Write.PartitionBy {
					if _, _, err := ParsePartition(s); err != nil {
						f.Errorf(itemNode(v, i), "write.partition_by: %v", err)
					}
				}
			})
		case "load_to":
			lt := &LoadTo{}
			f.Fields(v, "load_to", []string{"backend", "table"}, func(key string, v *yaml.Node) {
				if s, ok := f.Scalar(v, "load_to."+key); ok {
					if key == "backend" {
						lt.Backend = s
					} else {
						lt.Table = s
					}
				}
			})
			if lt.Table == "" && v.Kind == yaml.MappingNode {
				f.Errorf(v, "load_to needs table: (the name to load the published version as)")
			}
			p.LoadTo = lt
		}
	})
	if root.Kind == yaml.MappingNode {
		if p.Table == "" {
			f.Errorf(root, "the pipeline needs table: NAMESPACE.TABLE")
		}
		if p.Source == "" {
			f.Errorf(root, "the pipeline needs source: (a file, a folder or an s3:// prefix)")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

func pos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// itemNode is the i-th item of a list node, or the node itself when it is a single value.
func itemNode(n *yaml.Node, i int) *yaml.Node {
	if n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i]
	}
	return n
}

func parseCleanse(f *yamlfile.File, n *yaml.Node) []Step {
	var steps []Step
	f.Fields(n, "cleanse", cleanseOps, func(op string, v *yaml.Node) {
		s := Step{Op: op, Pos: pos(v), colPos: map[string]Pos{}}
		switch op {
		case "trim", "lower", "upper", "drop_if_null", "dedupe":
			s.Columns = f.StringList(v, "cleanse."+op)
			for i, c := range s.Columns {
				s.colPos[c] = pos(itemNode(v, i))
			}
		case "rename", "cast", "defaults":
			s.Map = f.StringMap(v, "cleanse."+op, nil)
			for i := 0; v.Kind == yaml.MappingNode && i+1 < len(v.Content); i += 2 {
				s.Order = append(s.Order, v.Content[i].Value)
				s.colPos[v.Content[i].Value] = pos(v.Content[i])
			}
		case "regex_replace":
			s.Regex = parseRegexReplace(f, v, s.colPos)
		}
		steps = append(steps, s)
	})
	return steps
}

// parseRegexReplace reads {column: {pattern: P, replacement: R}, ...}.
func parseRegexReplace(f *yamlfile.File, n *yaml.Node, colPos map[string]Pos) []RegexReplace {
	if n.Kind != yaml.MappingNode {
		f.Errorf(n, "cleanse.regex_replace should map columns to {pattern: ..., replacement: ...}, not %s", yamlfile.Describe(n))
		return nil
	}
	var out []RegexReplace
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		r := RegexReplace{Column: k.Value}
		colPos[k.Value] = pos(k)
		f.Fields(v, "cleanse.regex_replace."+k.Value, []string{"pattern", "replacement"}, func(key string, v *yaml.Node) {
			s, _ := f.Scalar(v, key)
			if key == "pattern" {
				if _, err := regexp.Compile(s); err != nil {
					f.Errorf(v, "pattern %q: %v", s, err)
				}
				r.Pattern = s
			} else {
				r.Replacement = s
			}
		})
		if r.Pattern == "" && v.Kind == yaml.MappingNode {
			f.Errorf(v, "cleanse.regex_replace.%s needs pattern:", k.Value)
		}
		out = append(out, r)
	}
	return out
}

func parseValidate(f *yamlfile.File, n *yaml.Node, val *Validate) {
	f.Fields(n, "validate", validateKeys, func(key string, v *yaml.Node) {
		switch key {
		case "rules":
			if v.Kind != yaml.SequenceNode {
				f.Errorf(v, "validate.rules should be a list of rules (%s), not %s", strings.Join(ruleKinds, ", "), yamlfile.Describe(v))
				return
			}
			for _, item := range v.Content {
				if r, ok := parseRule(f, item); ok {
					val.Rules = append(val.Rules, r)
				}
			}
		case "on_fail":
			if s, ok := f.Scalar(v, "on_fail"); ok {
				if s != "quarantine" && s != "fail" {
					f.Errorf(v, "on_fail should be quarantine or fail, not %q", s)
				}
				val.OnFail = s
			}
		case "max_quarantined":
			if s, ok := f.Scalar(v, "max_quarantined"); ok {
				num, frac := strings.CutSuffix(s, "%")
				x, err := strconv.ParseFloat(num, 64)
				if err != nil || x < 0 || frac && x > 100 {
					f.Errorf(v, "max_quarantined should be a count of rows (100) or a share of them (1%%), not %q", s)
				}
				if frac {
					x /= 100
				}
				val.MaxQuarantined, val.MaxFraction, val.HasMax = x, frac, true
			}
		}
	})
}

func parseRule(f *yamlfile.File, n *yaml.Node) (Rule, bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		f.Errorf(n, "a rule should be one of %s with its settings, as in {not_null: [id]}, not %s", strings.Join(ruleKinds, ", "), yamlfile.Describe(n))
		return Rule{}, false
	}
	k, v := n.Content[0], n.Content[1]
	r := Rule{Kind: k.Value, Pos: pos(k)}
	if !slices.Contains(ruleKinds, r.Kind) {
		msg := fmt.Sprintf("unknown rule %q", r.Kind)
		if near := query.Nearest(r.Kind, ruleKinds); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		f.Errorf(k, "%s (rules: %s)", msg, strings.Join(ruleKinds, ", "))
		return r, false
	}
	switch r.Kind {
	case "not_null", "unique":
		if v.Kind == yaml.MappingNode {
			f.Fields(v, r.Kind, []string{"columns"}, func(_ string, v *yaml.Node) { r.Columns = f.StringList(v, r.Kind+".columns") })
		} else {
			r.Columns = f.StringList(v, r.Kind)
		}
		if len(r.Columns) == 0 {
			f.Errorf(v, "%s needs at least one column", r.Kind)
		}
	case "range":
		f.Fields(v, "range", []string{"column", "min", "max"}, func(key string, v *yaml.Node) {
			s, _ := f.Scalar(v, "range."+key)
			switch key {
			case "column":
				r.Column = s
			case "min":
				r.Min = s
			case "max":
				r.Max = s
			}
		})
		if r.Min == "" && r.Max == "" && v.Kind == yaml.MappingNode {
			f.Errorf(v, "range needs min:, max: or both")
		}
	case "accepted_values":
		f.Fields(v, "accepted_values", []string{"column", "values"}, func(key string, v *yaml.Node) {
			if key == "column" {
				r.Column, _ = f.Scalar(v, "accepted_values.column")
			} else {
				r.Values = f.StringList(v, "accepted_values.values")
			}
		})
		if len(r.Values) == 0 && v.Kind == yaml.MappingNode {
			f.Errorf(v, "accepted_values needs values: [...]")
		}
	case "regex":
		f.Fields(v, "regex", []string{"column", "pattern"}, func(key string, v *yaml.Node) {
			s, _ := f.Scalar(v, "regex."+key)
			if key == "column" {
				r.Column = s
			} else {
				if _, err := regexp.Compile(s); err != nil {
					f.Errorf(v, "pattern %q: %v", s, err)
				}
				r.Pattern = s
			}
		})
	}
	if (r.Kind == "range" || r.Kind == "accepted_values" || r.Kind == "regex") && r.Column == "" && v.Kind == yaml.MappingNode {
		f.Errorf(v, "%s needs column:", r.Kind)
	}
	return r, true
}

func parseChecks(f *yamlfile.File, n *yaml.Node) []Check {
	if n.Kind != yaml.SequenceNode {
		f.Errorf(n, "quality.checks should be a list of {check: EXPRESSION, level: error|warn}, not %s", yamlfile.Describe(n))
		return nil
	}
	var out []Check
	for _, item := range n.Content {
		c := Check{Level: "error", Pos: pos(item)}
		var exprNode *yaml.Node
		if item.Kind == yaml.ScalarNode {
			c.Expr, exprNode = item.Value, item
		} else {
			f.Fields(item, "a check", []string{"check", "level"}, func(key string, v *yaml.Node) {
				s, _ := f.Scalar(v, key)
				if key == "check" {
					c.Expr, exprNode = s, v
				} else {
					if s != "error" && s != "warn" {
						f.Errorf(v, "level should be error or warn, not %q", s)
					}
					c.Level = s
				}
			})
		}
		if exprNode == nil {
			f.Errorf(item, "a check needs check: EXPRESSION, as in \"row_count > 0\"")
			continue
		}
		c.Pos = pos(exprNode)
		c.exprAt = c.Pos
		if exprNode.Style == yaml.DoubleQuotedStyle || exprNode.Style == yaml.SingleQuotedStyle {
			c.exprAt.Column++
		}
		e, err := parseCheck(c.Expr)
		if err != nil {
			f.ErrorAt(c.exprAt.Line, c.exprAt.Column+err.at, "check %q: %s", c.Expr, err.msg)
			continue
		}
		c.expr = e
		out = append(out, c)
	}
	return out
}

func parseJournal(f *yamlfile.File, n *yaml.Node) *Journal {
	j := &Journal{Strategy: "check", HardDeletes: "ignore", Pos: pos(n)}
	f.Fields(n, "journal", journalKeys, func(key string, v *yaml.Node) {
		switch key {
		case "key":
			j.Key = f.StringList(v, "journal.key")
		case "strategy":
			if s, ok := f.Scalar(v, "journal.strategy"); ok {
				if s != "check" && s != "timestamp" {
					f.Errorf(v, "journal.strategy should be check (columns compared) or timestamp (updated_at), not %q", s)
				}
				j.Strategy = s
			}
		case "check_columns":
			j.CheckColumns = f.StringList(v, "journal.check_columns")
		case "updated_at":
			j.UpdatedAt, _ = f.Scalar(v, "journal.updated_at")
		case "hard_deletes":
			if s, ok := f.Scalar(v, "journal.hard_deletes"); ok {
				if !slices.Contains([]string{"ignore", "invalidate", "new_record"}, s) {
					f.Errorf(v, "journal.hard_deletes should be ignore, invalidate or new_record, not %q", s)
				}
				j.HardDeletes = s
			}
		}
	})
	if n.Kind == yaml.MappingNode {
		if len(j.Key) == 0 {
			f.Errorf(n, "journal needs key: [columns] (what identifies a record)")
		}
		if j.Strategy == "timestamp" && j.UpdatedAt == "" {
			f.Errorf(n, "journal.strategy timestamp needs updated_at: COLUMN")
		}
	}
	return j
}

var partitionRE = regexp.MustCompile(`^\s*(?:(year|month|day|hour)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)|([A-Za-z_][A-Za-z0-9_]*))\s*$`)

// ParsePartition reads a partition field: "col" (identity) or "day(col)" (also year, month,
// hour). It gives the transform ("identity" for a bare column) and the column.
func ParsePartition(s string) (transform, column string, err error) {
	m := partitionRE.FindStringSubmatch(s)
	if m == nil {
		return "", "", fmt.Errorf("%q should be a column or year(col), month(col), day(col), hour(col)", s)
	}
	if m[3] != "" {
		return "identity", m[3], nil
	}
	return m[1], m[2], nil
}
