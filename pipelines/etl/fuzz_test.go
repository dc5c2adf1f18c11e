package etl

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParsePipeline: any file gives a pipeline or an error that names the file; nothing panics.
func FuzzParsePipeline(f *testing.F) {
	for _, s := range []string{
		fmt.Sprintf(journalPipeline, "s3://bucket/crm/"),
		"table: crm.scores\nsource: /data/x.csv\nvalidate:\n  rules:\n    - range: {column: score, min: 0, max: 100}\njournal:\n  key: [id]\n  hard_deletes: invalidate\n",
		"table: raw.events\nsource: s3://b/raw/2024-01-02/\ncleanse:\n  trim: [tag]\n",
		"table: hr.people\nsource: /p.csv\nquality:\n  checks:\n    - {check: \"row_count > 0\", level: error}\n    - {check: \"null_fraction(name) < 0.2\", level: warn}\n    - {check: \"row_count >= 0.8 * previous(row_count)\", level: error}\n",
		"table: a.b\nsource: x\npartition: [day(at), bucket(16, id)]\n",
		"", "table: [", "&a [*a]", "table: !!binary 3q2+7w==\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePipeline("fuzz.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("no pipeline and no error")
		}
	})
}
