package load

import (
	"fmt"

	"strings"
	"time"
)

// progress calls opts.Progress about twice a second until the returned stop is called, and once
// more then.
func (l *loader) progress(start time.Time, objects int, total int64) (stop func()) {
	if l.opts.Progress == nil {
		return func() {}
	}
	snap := func() Stats {
		return Stats{Objects: objects, ObjectsDone: int(l.objectsDone.Load()) + l.stats.resumed, BytesTotal: total,
			BytesRead: min(total, l.store.read.Load()+l.bytesDone.Load()), RowsRead: l.rowsRead.Load(), Indexed: l.indexed.Load(),
			DeadLettered: l.dead.Load(), Elapsed: time.Since(start)}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.opts.Progress(snap())
			case <-done:
				l.opts.Progress(snap())
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// Bar renders progress for a terminal on one line: a bar, rows/s, MB/s and the time left.
func Bar(s Stats, width int) string {
	frac := 0.0
	if s.BytesTotal > 0 {
		frac = float64(s.BytesRead) / float64(s.BytesTotal)
	}
	secs := max(s.Elapsed.Seconds(), 0.001)
	eta := "--"
	if frac > 0.01 {
		left := time.Duration(float64(s.Elapsed) * (1 - frac) / frac).Round(time.Second)
		eta = left.String()
	}
	text := fmt.Sprintf(" %3.0f%% %s rows %s rows/s %.1f MB/s ETA %s", frac*100, human(float64(s.RowsRead)),
		human(float64(s.RowsRead)/secs), float64(s.BytesRead)/secs/1e6, eta)
	if s.DeadLettered > 0 {
		text += fmt.Sprintf(" (%d set aside)", s.DeadLettered)
	}
	barW := max(10, width-len(text)-2)
	fill := int(frac * float64(barW))
	return "[" + strings.Repeat("█", fill) + strings.Repeat("░", barW-fill) + "]" + text
}

// Line renders progress as a plain log line, for output that is not a terminal.
func Line(s Stats) string {
	secs := max(s.Elapsed.Seconds(), 0.001)
	return fmt.Sprintf("%s: %d/%d files, %d rows read, %d written, %d set aside, %.0f rows/s, %.1f MB/s",
		s.Elapsed.Round(time.Second), s.ObjectsDone, s.Objects, s.RowsRead, s.Indexed, s.DeadLettered, float64(s.RowsRead)/secs, float64(s.BytesRead)/secs/1e6)
}

func human(f float64) string {
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.1fG", f/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.1fM", f/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.1fk", f/1e3)
	}
	return fmt.Sprintf("%.0f", f)
}
