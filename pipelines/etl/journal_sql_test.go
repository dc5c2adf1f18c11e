package etl

import (
	"fmt"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/golden"
)

// TestJournalSQL: the journal step's SQL, built from the pipeline's journal: alone, for each
// strategy and way of treating hard deletes; the run tests (journal_test.go) hold what it does.
func TestJournalSQL(t *testing.T) {
	at := time.Date(2024, 3, 1, 6, 0, 0, 0, time.UTC)
	for name, c := range map[string]struct {
		j     Journal
		check []string
	}{
		"journal_check_ignore":         {Journal{Key: []string{"movie_id"}, Strategy: "check", HardDeletes: "ignore"}, []string{"title", "imdb_rating"}},
		"journal_timestamp_invalidate": {Journal{Key: []string{"id"}, Strategy: "timestamp", UpdatedAt: "updated_at", HardDeletes: "invalidate"}, []string{"name", "updated_at"}},
		"journal_two_keys_new_record":  {Journal{Key: []string{"region", "Store ID"}, Strategy: "check", HardDeletes: "new_record"}, []string{"sales"}},
	} {
		t.Run(name, func(t *testing.T) {
			q := buildJournal(&c.j, c.check, at)
			got := fmt.Sprintf("-- qkeys\n%s;\n-- actions\n%s;\n-- early\n%s;\n-- result\n%s;\n-- touched\n%s;\n-- touched_result\n%s;\n",
				q.QKeys, q.Actions, q.Early, q.Result, q.Touched, q.TouchedResult)
			golden.CheckFile(t, name+".sql", got)
		})
	}
}
