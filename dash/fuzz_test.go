package dash

import (
	"strings"
	"testing"
)

// FuzzParse: any dashboard file gives a dashboard or an error that names the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		example,
		"panels:\n  - {title: A, sql: \"SELECT count(*) FROM t WHERE\"}\n",
		"panels:\n  - {title: A, view: nope}\n",
		"time: {column: at, from: now-1h}\npanels:\n  - {sql: \"SELECT 1 FROM t\"}\n",
		"", "panels: [", "&a [*a]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data, views)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		if d == nil {
			t.Fatal("no dashboard and no error")
		}
	})
}
