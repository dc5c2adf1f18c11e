package tui_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeyTripsEndToEnd drives the real binary under tmux at 120x40 and 80x24 through the trips
// whose keys once misled: the help bar names t, : and c; in a picker end then enter picks the
// last item; the SQL editor completes a table name with tab; on the Jobs screen, after a run's
// log, the list marks the job n launches (the selected run's) and ctrl+r launches it; q with a
// view changed and not saved asks first.
func TestKeyTripsEndToEnd(t *testing.T) {
	jobs := map[string]string{
		"alpha.yaml": "name: alpha\ncommand: [\"/bin/sh\", \"-c\", \"echo alpha\"]\n",
		"beta.yaml":  "name: beta\ncommand: [\"/bin/sh\", \"-c\", \"echo beta ran\"]\n",
	}
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			s := startWorkbench(t, fmt.Sprintf("dora-keys-%d", size[0]), jobs, size[0], size[1])
			s.WaitText("1 Explore", "tables", "shipments", "t time", ": SQL", "? help")

			// The tables list: open shipments; g opens the field picker; end, enter: the last field.
			schema := s.dora(t, "schema", "shipments", "--format", "csv")
			lines := strings.Split(strings.TrimSpace(schema), "\n")
			last, _, _ := strings.Cut(lines[len(lines)-1], ",")
			for range 8 {
				if strings.Contains(s.Screen(), "▸▦ shipments") {
					break
				}
				s.Keys("Down")
			}
			s.Keys("Enter")
			s.WaitText("SELECT * FROM shipments LIMIT 100")
			s.Keys("g")
			s.WaitText("group by: which field?")
			s.Keys("End")
			s.Keys("Enter")
			// The demo's last field is a time: its bucket picker, where the last item is "exact value".
			s.WaitText("bucket " + last + " by")
			s.Keys("End")
			s.Keys("Enter")
			s.WaitText("GROUP BY " + last)

			// The SQL editor: tab completes the table after FROM.
			s.Keys(":")
			s.Keys("C-u")
			s.Text("SELECT count(*) FROM ship")
			s.WaitText("tab › shipments")
			s.Keys("Tab")
			s.WaitText(": SELECT count(*) FROM shipments")
			s.Keys("Enter")
			s.WaitText("count(*)", "✓ 1 rows")

			// Jobs: launch beta with ctrl+r, read its log, go back.
			s.Keys("4")
			s.WaitText("alpha", "beta", "no runs yet")
			s.Keys("Down", "n")
			s.WaitText("launch beta", "ctrl+r launches")
			s.Keys("C-r")
			s.WaitText("SUCCEEDED", "beta ran")
			s.Keys("Escape") // waited for: an Escape and the next key close together are alt+key
			s.WaitText("jobs · 2", "✓ SUCCEEDED")
			// The jobs list's own cursor goes to alpha; back on the runs, the list marks beta
			// again, the help bar says so, and n launches beta.
			s.Keys("Tab", "Up")
			s.WaitText("›alpha")
			s.Keys("Tab")
			s.WaitText("›beta", "n launch beta")
			s.Keys("n")
			s.WaitText("launch beta", "ctrl+r launches")
			s.Keys("Escape")
			s.WaitText("jobs · 2", "n launch beta")

			// q: the explorer's view was changed and not saved.
			s.Keys("q")
			s.WaitText("not saved (S saves it). Quit anyway? (y/n)")
			s.Keys("y")
			s.WaitText("dora exited 0")
		})
	}
}
