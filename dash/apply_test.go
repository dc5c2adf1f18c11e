package dash

import (
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/query"
)

var (
	shipments = query.Schema{Table: "shipments", Fields: []query.Field{
		{Name: "shipped_at", Type: query.TypeTime}, {Name: "returned_at", Type: query.TypeTime},
		{Name: "region", Type: query.TypeString}, {Name: "category", Type: query.TypeString},
		{Name: "price", Type: query.TypeFloat}}}
	clients = query.Schema{Table: "clients", Fields: []query.Field{
		{Name: "signed_up_at", Type: query.TypeTime}, {Name: "Region", Type: query.TypeString},
		{Name: "plan", Type: query.TypeString}}}
	items = query.Schema{Table: "items", Fields: []query.Field{
		{Name: "added_at", Type: query.TypeTime}, {Name: "shipped_at", Type: query.TypeString}, {Name: "color", Type: query.TypeString}}}
)

// TestApply lays ranges and filters over panels and prints each result as its SQL line and
// notes, the way the zoomed explorer shows them.
func TestApply(t *testing.T) {
	region, err := ParseWhere("region = 'West' AND price > 50")
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := ParseWhere("plan IN ('basic', 'plus') OR region IS NULL")
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, sql, panelTime string
		schema               query.Schema
		scope                Scope
	}{
		{"range and filter", "SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 5", "", shipments,
			Scope{TimeColumn: "shipped_at", From: from, To: to, Where: region}},
		{"kept where and aliases", "SELECT date_trunc('week', shipped_at) AS w, sum(price) AS revenue FROM shipments WHERE category = 'Tops' OR category = 'Knits' GROUP BY w HAVING revenue > 10 ORDER BY w", "", shipments,
			Scope{TimeColumn: "shipped_at", From: from, To: to, Where: region}},
		{"panel time column", "SELECT plan, count(*) FROM clients GROUP BY plan", "signed_up_at", clients,
			Scope{TimeColumn: "shipped_at", From: from, To: to, Where: plan}},
		{"no time column, filter by case", "SELECT count(*) FROM clients", "", clients,
			Scope{TimeColumn: "shipped_at", From: from, To: to, Where: plan}},
		{"filter ignored", "SELECT color, count(*) FROM items GROUP BY color", "added_at", items,
			Scope{TimeColumn: "shipped_at", From: from, Where: region}},
		{"open end only", "SELECT * FROM shipments LIMIT 10", "", shipments, Scope{TimeColumn: "shipped_at", To: to}},
		{"all time, no filter", "SELECT count(*) FROM shipments", "", shipments, Scope{TimeColumn: "shipped_at"}},
	}
	var b strings.Builder
	for _, c := range cases {
		spec, err := query.Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		before := spec.SQL()
		a := Apply(Panel{Spec: spec, TimeColumn: c.panelTime}, c.schema, c.scope)
		b.WriteString("-- " + c.name + "\n" + c.sql + "\n=> " + a.Spec.SQL() + "\n")
		if a.TimeColumn != "" {
			b.WriteString("   time column: " + a.TimeColumn + "\n")
		}
		for _, n := range a.Notes {
			b.WriteString("   note: " + n + "\n")
		}
		// The applied Spec prints as a SQL line that parses and validates on its table.
		back, err := query.Parse(a.Spec.SQL())
		if err != nil {
			t.Errorf("%s: the applied SQL does not parse: %v", c.name, err)
			continue
		}
		if _, err := query.Validate(back, c.schema); err != nil {
			t.Errorf("%s: the applied SQL does not validate: %v", c.name, err)
		}
		if back.SQL() != a.Spec.SQL() {
			t.Errorf("%s: round trip %s", c.name, back.SQL())
		}
		if spec.SQL() != before {
			t.Errorf("%s: the panel's own Spec changed to %s", c.name, spec.SQL())
		}
	}
	golden.Check(t, "apply", b.String())
}
