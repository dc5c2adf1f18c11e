package picker

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg(tea.Key{Code: r, Text: string(r)}))
	}
}

func choose(t *testing.T, m *Model) ChosenMsg {
	t.Helper()
	cmd := m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyEnter}))
	if cmd == nil {
		t.Fatal("enter chose nothing")
	}
	msg, ok := cmd().(ChosenMsg)
	if !ok {
		t.Fatalf("enter gave %T", cmd())
	}
	return msg
}

func TestTypingNarrowsAndFreeText(t *testing.T) {
	c := &common.Common{Styles: styles.Default(true, true)}
	items := []Item{{Label: "West", Value: "West"}, {Label: "East", Value: "East"}, {Label: "South", Value: "South"}}

	m := New(c, 7, "region = …", items, true)
	typeText(m, "es")
	if got := len(m.Items()); got != 2 { // West, then the typed text
		t.Fatalf("%d items shown", got)
	}
	if msg := choose(t, m); msg.Free || msg.Item.Label != "West" || msg.ID != 7 {
		t.Errorf("a match should come first: %+v", msg)
	}

	m = New(c, 8, "region = …", items, true)
	typeText(m, "Nowhere")
	if msg := choose(t, m); !msg.Free || msg.Text != "Nowhere" {
		t.Errorf("unmatched text should be chosen as it is: %+v", msg)
	}

	m = New(c, 9, "field", items, false)
	typeText(m, "zzz")
	if cmd := m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyEnter})); cmd != nil {
		t.Error("without free text, enter on no match chooses nothing")
	}
	if _, ok := m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyEscape}))().(CancelMsg); !ok {
		t.Error("esc should cancel")
	}
}

// A name prompt: typed text comes before the items, and a suggestion stands in for empty input.
func TestFreeFirstAndSuggest(t *testing.T) {
	c := &common.Common{Styles: styles.Default(true, true)}
	items := []Item{{Label: "weekly"}, {Label: "weekly-revenue"}}

	m := New(c, 1, "save as", items, true)
	m.FreeFirst = true
	m.Suggest("top-categories")
	if msg := choose(t, m); !msg.Free || msg.Text != "top-categories" {
		t.Errorf("enter on empty input should take the suggestion: %+v", msg)
	}
	typeText(m, "week")
	if msg := choose(t, m); !msg.Free || msg.Text != "week" {
		t.Errorf("typed text should come before the items it matches: %+v", msg)
	}

	m = New(c, 2, "save as", items, true)
	m.FreeFirst = true
	m.Suggest("weekly-revenue")
	if msg := choose(t, m); msg.Free || msg.Item.Label != "weekly-revenue" {
		t.Errorf("a suggestion that is an item should be that item: %+v", msg)
	}
}

// TestEndThenEnterPicksTheLastItem: end and home move in the list (they once moved the filter's
// cursor, and enter then picked the first item).
func TestEndThenEnterPicksTheLastItem(t *testing.T) {
	c := &common.Common{Styles: styles.Default(true, true)}
	items := []Item{{Label: "West"}, {Label: "East"}, {Label: "South"}, {Label: "Midwest"}}
	m := New(c, 1, "region", items, false)
	m.SetSize(40, 10)
	m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyEnd}))
	if msg := choose(t, m); msg.Item.Label != "Midwest" {
		t.Errorf("end, enter picked %q, want the last item, Midwest", msg.Item.Label)
	}
	m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyHome}))
	if msg := choose(t, m); msg.Item.Label != "West" {
		t.Errorf("home, enter picked %q, want the first item, West", msg.Item.Label)
	}
}
