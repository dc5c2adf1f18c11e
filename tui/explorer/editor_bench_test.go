package explorer

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/internal/benchcpu"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
	"github.com/dora-dev/dora/tui/common"
)

// editorBench is an explorer at 200x60 on a table of 500 columns with ':' open on "SELECT ";
// with complete set the editor completes from the table's columns.
func editorBench(b *testing.B, schema query.Schema, complete bool) *Model {
	f := newFake()
	f.schemas["wide"] = schema
	m := New(common.New(context.Background(), f, true), Options{})
	m.SetSize(200, 60)
	m.schema = schema
	m.fields.SetSchema(schema)
	m.hist.Reset(builder.Open("wide"))
	m.specChanged()
	if complete {
		m.completions()
	}
	m.bar.Edit()
	for _, k := range append(testenv.Keys("ctrl+u"), testenv.Keys("SELECT ")...) {
		m.Update(k)
	}
	return m
}

// BenchmarkSQLEditorKeypressToFrame measures the SQL editor at 200x60 on a table of 500
// columns: an op is a key's Update and the whole frame after it, typing "col_49" after
// "SELECT " and deleting it again, so every key completes the word under the cursor against
// the 500 columns, the tables, functions and keywords. The baseline is the same keys with
// nothing to complete; the two alternate key by key in one process, and with
// $DORA_BENCH_SAMPLES set every key's time is written there for scripts/interleave --samples.
func BenchmarkSQLEditorKeypressToFrame(b *testing.B) {
	schema := query.Schema{Table: "wide"}
	for i := range 500 {
		schema.Fields = append(schema.Fields, query.Field{Name: fmt.Sprintf("col_%03d", i), Type: query.TypeInt, Aggregatable: true})
	}
	var keys []tea.Msg
	for _, k := range []string{"c", "o", "l", "_", "4", "9"} {
		keys = append(keys, testenv.Keys(k)...)
	}
	for range 6 {
		keys = append(keys, testenv.Keys("backspace")...)
	}
	with, without := editorBench(b, schema, true), editorBench(b, schema, false)
	with.Update(keys[0])
	if len(with.bar.Completions()) == 0 {
		b.Fatalf("no completions for %q", with.bar.Value())
	}
	with.Update(keys[len(keys)-1])
	var out *os.File
	if path := os.Getenv("DORA_BENCH_SAMPLES"); path != "" {
		var err error
		if out, err = os.Create(path); err != nil {
			b.Fatal(err)
		}
		defer out.Close()
	}
	frame := func(m *Model, k tea.Msg) time.Duration {
		start := time.Now()
		m.Update(k)
		_ = m.View()
		return time.Since(start)
	}
	var sumWith, sumWithout time.Duration
	done := benchcpu.Start(b)
	i, n := 0, 0
	for b.Loop() {
		k := keys[i%len(keys)]
		tw, to := frame(with, k), frame(without, k)
		sumWith, sumWithout = sumWith+tw, sumWithout+to
		if out != nil {
			fmt.Fprintf(out, "completion-500-columns %.4f\nbaseline-no-completion %.4f\n", float64(tw.Nanoseconds())/1e6, float64(to.Nanoseconds())/1e6)
		}
		i++
		n++
	}
	done()
	b.ReportMetric(float64(sumWith.Microseconds())/1000/float64(n), "completion-ms/key")
	b.ReportMetric(float64(sumWithout.Microseconds())/1000/float64(n), "baseline-ms/key")
	if !strings.HasPrefix(with.bar.Value(), "SELECT ") || !strings.HasPrefix(without.bar.Value(), "SELECT ") {
		b.Fatalf("the editors hold %q and %q", with.bar.Value(), without.bar.Value())
	}
}
