package explorer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/picker"
	"github.com/dora-dev/dora/views"
)

// Saved views: S saves the view on screen under a name, V lists the saved ones and opens one.
// The views file is read and written by commands, never in Update.

type (
	// savedListMsg carries the saved views to the picker that asked for them.
	savedListMsg struct {
		picker int
		views  []views.View
		err    error
	}
	viewSavedMsg struct {
		name, path, sql string
		err             error
	}
)

func (m *Model) viewsPath() string {
	if m.opts.ViewsPath != "" {
		return m.opts.ViewsPath
	}
	return views.DefaultPath()
}

// useView makes a saved view what the explorer opens first (dora --view NAME).
func (m *Model) useView(v views.View) {
	if v.Name == "" {
		return
	}
	m.opts.SQL, m.opts.Table = v.SQL, ""
	m.viewName = v.Name
	m.openingView = true
	if k := v.Kind(); k != charts.None {
		m.chart.Want(k, v.Metric)
	}
}

func (m *Model) listViews(pickerID int) tea.Cmd {
	path := m.viewsPath()
	return func() tea.Msg {
		f, err := views.Load(path)
		if err != nil {
			return savedListMsg{picker: pickerID, err: err}
		}
		return savedListMsg{picker: pickerID, views: f.List()}
	}
}

// startSaveView asks for a name, offering the saved views to replace; the name of the view this
// one came from is typed in already.
func (m *Model) startSaveView() tea.Cmd {
	if m.hist.Spec().Table == "" {
		m.setNote("nothing to save yet: open a table first", true)
		return nil
	}
	m.open(stepSaveView, "save the view as", nil, true)
	m.picker.FreeFirst = true
	m.picker.Hint = "type a name, or pick a saved view to replace it"
	m.picker.SetLoading(true)
	m.picker.Suggest(m.viewName)
	return m.listViews(m.picker.ID())
}

func (m *Model) startOpenView() tea.Cmd {
	m.open(stepOpenView, "open a saved view", nil, false)
	m.picker.SetLoading(true)
	return m.listViews(m.picker.ID())
}

// savedListed fills the open picker with the saved views.
func (m *Model) savedListed(msg savedListMsg) tea.Cmd {
	if m.picker == nil || m.picker.ID() != msg.picker {
		return nil
	}
	if msg.err != nil {
		m.picker.SetItems(nil)
		m.picker.Hint = firstLine(msg.err)
		m.setNote(firstLine(msg.err), true)
		return nil
	}
	var items []picker.Item
	for _, v := range msg.views {
		it := picker.Item{Glyph: "★", Label: v.Name, Value: v}
		if m.wiz.step == stepSaveView {
			it.Detail = "replace"
		} else if spec, err := v.Spec(); err == nil {
			it.Detail = strings.TrimSuffix(spec.Table+" · "+v.Chart, " · ")
		}
		items = append(items, it)
	}
	m.picker.SetItems(items)
	if m.wiz.step == stepSaveView && m.viewName == "" {
		// a new name, so that enter alone saves a new view and never replaces one
		names := make([]string, len(msg.views))
		for i, v := range msg.views {
			names[i] = v.Name
		}
		m.picker.Suggest(suggestName(m.hist.Spec(), names))
	}
	if len(items) == 0 && m.wiz.step == stepOpenView {
		m.picker.Hint = "no saved views yet: S saves the view on screen"
	}
	return nil
}

// chosenSaved acts on a choice in the save or open picker.
func (m *Model) chosenSaved(st step, msg picker.ChosenMsg) tea.Cmd {
	if st == stepOpenView {
		m.closePicker()
		return m.openView(msg.Item.Value.(views.View))
	}
	name := strings.TrimSpace(msg.Text)
	if !msg.Free {
		name = msg.Item.Label
	}
	if name == "" {
		m.setNote("a saved view needs a name", true)
		return nil
	}
	m.closePicker()
	return m.saveView(name)
}

// saveView writes the view on screen under name: its SQL line, and the chart it is drawn as
// when the answer on screen is this view's.
func (m *Model) saveView(name string) tea.Cmd {
	v := views.View{Name: name, SQL: m.hist.Spec().SQL(), Backend: m.opts.Backend}
	if k := m.chart.Kind(); k != charts.None && m.shownResult() != nil {
		v.Chart, v.Metric = k.String(), m.chart.Metric()
	}
	if err := views.Check(v); err != nil {
		m.setNote("could not save the view: "+firstLine(err), true)
		return nil
	}
	path := m.viewsPath()
	return func() tea.Msg {
		err := views.Update(path, func(f *views.File) error { return f.Put(v) })
		return viewSavedMsg{name: name, path: path, sql: v.SQL, err: err}
	}
}

func (m *Model) viewSaved(msg viewSavedMsg) tea.Cmd {
	if msg.err != nil {
		m.setNote(fmt.Sprintf("could not save view %s: %s", msg.name, firstLine(msg.err)), true)
		return nil
	}
	m.viewName = msg.name
	m.savedSQL = msg.sql
	m.setNote(fmt.Sprintf("saved view %s to %s", msg.name, tildePath(msg.path)), false)
	return nil
}

// openView opens a saved view's SQL line on the backend open now, with its chart.
func (m *Model) openView(v views.View) tea.Cmd {
	spec, err := v.Spec()
	if err != nil {
		m.setNote(fmt.Sprintf("view %s: %s", v.Name, describe(err)), true)
		return nil
	}
	left := m.leaveAll() // a saved view opens on the explorer's own backend, not on a hand-over's
	m.viewName = v.Name
	m.openingView = true
	if k := v.Kind(); k != charts.None {
		m.chart.Want(k, v.Metric)
	}
	note := "opened view " + v.Name
	if v.Backend != "" && v.Backend != m.opts.Backend {
		note += fmt.Sprintf(" (saved against %s; running on %s)", v.Backend, m.common.Backend.Name())
	}
	m.setNote(note, false)
	m.err = nil
	return tea.Batch(left, m.openSpec(spec))
}

// suggestName names a view by its table and group-bys (shipments-by-month-region), unlike
// every name taken.
func suggestName(spec query.Spec, taken []string) string {
	var by []string
	for _, d := range spec.GroupBy {
		if d.Kind == query.DimDateTrunc {
			by = append(by, d.Unit)
		} else {
			by = append(by, d.Column)
		}
	}
	base := spec.Table
	if len(by) > 0 {
		base += "-by-" + strings.Join(by, "-")
	}
	name := base
	for n := 2; slices.Contains(taken, name); n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	return name
}

// firstLine is an error's first line, with a views file's path as people write it.
func firstLine(err error) string {
	var ve *views.Error
	if errors.As(err, &ve) {
		e := *ve
		e.File = tildePath(e.File)
		err = &e
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// tildePath writes a path under the home folder as ~/…, as people read it.
func tildePath(path string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return path
	}
	if rel, err := filepath.Rel(home, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join("~", rel)
	}
	return path
}

// Unsaved names the view on screen when it was changed since it was opened or saved, for the
// shell to ask before quitting; "" when there is nothing to lose.
func (m *Model) Unsaved() string {
	spec := m.hist.Spec()
	if !m.edited || spec.Table == "" || spec.SQL() == m.savedSQL {
		return ""
	}
	if m.viewName != "" {
		return "the changes to view " + m.viewName
	}
	return "the view on " + spec.Table
}
