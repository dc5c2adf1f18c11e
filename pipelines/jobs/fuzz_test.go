package jobs_test

import (
	"strings"
	"testing"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// FuzzParseDefinition: any job file gives a definition (a command, or an image whose
// entrypoint runs) or an error that names the file.
func FuzzParseDefinition(f *testing.F) {
	for _, s := range []string{
		"name: nightly-score\nimage: registry.local/score:1.4\ncommand: [\"/score\", \"--day\", \"${DAY}\"]\nenv: {DAY: \"today\", MODEL: \"v3\", N: 3}\ncpu: 1.5\nmemory: 512Mi\ntimeout: 30m\nretries: {attempts: 3, on_exit_codes: [75, 76], on_infra_failure: true, backoff: 10s}\ntags: {team: styling}\nrunner: local\n",
		"command: [echo, hi]", "command: [x]\nmemory: 12Qi\n", "name: a\ncommand: []\n",
		"", "command: [", "&a [*a]", "timeout: -1s\ncommand: [x]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := jobs.ParseDefinition("fuzz.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		if d == nil || len(d.Command) == 0 && d.Image == "" {
			t.Fatalf("a definition with neither a command nor an image: %+v", d)
		}
	})
}
