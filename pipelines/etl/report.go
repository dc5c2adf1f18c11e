package etl

import (
	"fmt"
	"slices"
)

// Report is what a plan or run did, line by line, for a person: rows read, each module's rows
// in and out with what it set aside (values a cast turned into NULL, by column), the top
// quarantine reasons and where the rows are, and every check's outcome. dora etl plan|run print
// it under their first line and the ETL screen draws it, so the two never say different things.
// n formats a count (thousands separators).
func (s *Summary) Report(n func(int64) string) []string {
	var out []string
	add := func(label, format string, args ...any) {
		out = append(out, fmt.Sprintf("%-9s %s", label, fmt.Sprintf(format, args...)))
	}
	add("read", "%s rows", n(s.RowsIn))
	if s.Quarantined > 0 && len(s.Modules) > 0 && s.Modules[0].In < s.RowsIn {
		add("", "%s rows could not be decoded (quarantined)", n(s.RowsIn-s.Modules[0].In))
	}
	if s.RowsIn == 0 {
		add("", "the source has no rows: the checks ran on the table's columns")
	}
	for _, m := range s.Modules {
		note := ""
		switch m.Module {
		case "cleanse":
			note = fmt.Sprintf("%s cleansed away, %s quarantined", n(s.CleansedAway), n(m.Quarantined))
			cols := make([]string, 0, len(s.CastFailures))
			for col := range s.CastFailures {
				cols = append(cols, col)
			}
			slices.Sort(cols)
			for _, col := range cols {
				note += fmt.Sprintf(", %s values of %s did not cast (now NULL)", n(s.CastFailures[col]), col)
			}
		case "validate":
			note = fmt.Sprintf("%s quarantined", n(m.Quarantined))
		case "journal":
			if s.Journal == nil {
				note = "no journal: the table's rows are replaced"
			} else {
				j := s.Journal
				note = fmt.Sprintf("%d inserted, %d changed, %d closed, %d reopened, %d unchanged, %d kept", j.Inserted, j.Changed, j.Closed, j.Reopened, j.Unchanged, j.Kept)
			}
		}
		add(m.Module, "%s -> %s (%s)", n(m.In), n(m.Out), note)
	}
	if s.Quarantined > 0 {
		for _, r := range s.TopReasons {
			add("", "%s x %s (as in: %s)", n(r.Rows), r.Reason, r.Example)
		}
		if s.QuarantineFile != "" {
			add("", "rows and reasons in %s", s.QuarantineFile)
		}
	}
	for i, c := range s.Checks {
		label := ""
		if i == 0 {
			label = "checks"
		}
		add(label, "%-4s  %s  (%s, %s)", c.Outcome, c.Check, c.Level, c.Detail)
	}
	return out
}
