package loads

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/load"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/screen"
)

// Update handles a message; answers to a listing, read or preview older than the last asked
// are dropped.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) { return m, m.update(msg) }

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		switch {
		case m.editLoc:
			if m.locFresh { // a pasted location replaces the one shown
				m.locInput.SetValue("")
				m.locFresh = false
			}
			var cmd tea.Cmd
			m.locInput, cmd = m.locInput.Update(msg)
			return cmd
		case m.mode == modeForm && m.field < fieldCount:
			var cmd tea.Cmd
			m.fields[m.field], cmd = m.fields[m.field].Update(msg)
			return cmd
		}
	case listedMsg:
		if msg.seq != m.listSeq {
			return nil
		}
		m.listing = false
		m.listErr = msg.err
		if msg.err == nil {
			m.relisted(msg)
		} else {
			m.setNote(fmt.Sprintf("cannot list %s: %v", msg.loc, msg.err), true)
		}
	case historyMsg:
		if msg.seq != m.histSeq {
			return nil
		}
		m.reading = false
		m.histErr = msg.err
		if msg.err == nil {
			m.history = msg.recs
			m.histAt = max(0, min(m.histAt, len(m.history)-1))
		}
		if m.readAgain {
			m.readAgain = false
			return m.readHistory()
		}
	case planMsg:
		if msg.seq != m.planSeq {
			return nil
		}
		m.planning = false
		if msg.err != nil {
			m.planErr = msg.err
		} else {
			m.plan = &msg.plan
		}
	case startedMsg:
		if m.run == nil || msg.id != m.run.ID {
			return nil
		}
		m.run.events = msg.events
		return tea.Batch(wait(msg.events), m.readHistory())
	case progressMsg:
		if m.run == nil || msg.id != m.run.ID {
			return nil
		}
		m.run.Stats = msg.stats
		return wait(m.run.events)
	case finishedMsg:
		if m.run == nil || msg.id != m.run.ID {
			return nil
		}
		m.run.Summary, m.run.Err, m.run.Done = msg.sum, msg.err, true
		m.run.Stats.RowsRead, m.run.Stats.Indexed, m.run.Stats.DeadLettered = msg.sum.RowsRead, msg.sum.Indexed, msg.sum.DeadLettered
		if msg.sum.Published { // every screen lists the table now
			alias := msg.sum.Alias
			return tea.Batch(m.readHistory(), func() tea.Msg { return screen.Changed{What: "a load of " + alias} })
		}
		return m.readHistory()
	case screen.Changed:
		return m.readHistory()
	case tickMsg:
		cmds := []tea.Cmd{m.readHistory(), m.tick()}
		if m.focused && !m.listing && m.listErr == nil && m.mode == modeBrowse && !m.editLoc {
			cmds = append(cmds, m.list(m.loc)) // the listing follows the folder
		}
		return tea.Batch(cmds...)
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.editLoc {
		return m.locationKey(msg)
	}
	switch m.mode {
	case modeForm:
		return m.formKey(msg)
	case modeRun:
		return m.runKey(msg)
	}
	m.note = ""
	k := m.keys
	switch {
	case key.Matches(msg, k.Switch):
		m.pane = 1 - m.pane
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.Location):
		m.editLoc, m.locFresh = true, true
		m.locInput.SetValue(m.loc)
		m.locInput.CursorEnd()
		return m.locInput.Focus()
	case key.Matches(msg, k.Refresh):
		return tea.Batch(m.list(m.loc), m.readHistory())
	case key.Matches(msg, k.Progress):
		if m.run != nil {
			m.mode = modeRun
		}
	case key.Matches(msg, k.New):
		return m.openForm()
	case m.pane == paneLoads && key.Matches(msg, k.Enter, k.Open):
		return m.openRecord()
	case key.Matches(msg, k.Enter):
		if e := m.selected(); e != nil && e.Dir {
			return m.list(e.Key)
		}
	case key.Matches(msg, k.Parent, k.Back):
		if up := Parent(m.loc); up != m.loc {
			return m.list(up)
		}
	}
	return nil
}

// relisted shows a listing: another location's from its top, the same one's again with the
// cursor on the entry it was on.
func (m *Model) relisted(msg listedMsg) {
	at := 0
	if e := m.selected(); e != nil && msg.loc == m.loc {
		for i, n := range msg.entries {
			if n.Name == e.Name {
				at = i
			}
		}
	}
	m.loc, m.entries, m.at = msg.loc, msg.entries, at
}

func (m *Model) move(d int) {
	if m.pane == paneFiles {
		m.at = max(0, min(m.at+d, len(m.entries)-1))
	} else {
		m.histAt = max(0, min(m.histAt+d, len(m.history)-1))
	}
}

func (m *Model) selected() *Entry {
	if m.at < 0 || m.at >= len(m.entries) {
		return nil
	}
	return &m.entries[m.at]
}

func (m *Model) locationKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.editLoc = false
		m.locInput.Blur()
		return nil
	case "enter":
		m.editLoc = false
		m.locInput.Blur()
		if loc := strings.TrimSpace(m.locInput.Value()); loc != "" {
			return m.list(loc)
		}
		m.setNote("no location typed: the listing stays "+m.loc, true)
		return nil
	}
	// The location shown is a suggestion: the first character typed replaces it, and a key that
	// edits (backspace, arrows) keeps it to edit.
	if m.locFresh {
		m.locFresh = false
		if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
			m.locInput.SetValue("")
		}
	}
	var cmd tea.Cmd
	m.locInput, cmd = m.locInput.Update(msg)
	return cmd
}

// openForm opens the new-load form on the entry under the cursor (the location when there is
// none), and asks for the preview.
func (m *Model) openForm() tea.Cmd {
	if m.run != nil && !m.run.Done {
		m.setNote("a load is running: p shows it, c cancels it", true)
		return nil
	}
	source := m.loc
	if e := m.selected(); e != nil && m.pane == paneFiles {
		source = e.Key
	}
	if source == "s3://" {
		m.setNote("choose a bucket or a prefix to load", true)
		return nil
	}
	defaults := [fieldCount]string{source, TableFor(source), "", "4", "auto"}
	m.types, m.typeAt, m.typing, m.typeErr = nil, 0, "", nil
	for i := range m.fields {
		m.fields[i].SetValue(defaults[i])
		m.fields[i].CursorEnd()
		m.fields[i].Blur()
	}
	m.mode, m.field, m.planFor = modeForm, fieldTable, ""
	return tea.Batch(m.fields[m.field].Focus(), m.preview())
}

func (m *Model) formKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeBrowse
		for i := range m.fields {
			m.fields[i].Blur()
		}
		return nil
	case m.field == fieldCount && m.mappingKey(msg):
		return nil
	case key.Matches(msg, k.Next, k.Prev):
		if m.field < fieldCount {
			m.fields[m.field].Blur()
		}
		d := 1
		if key.Matches(msg, k.Prev) {
			d = fieldCount
		}
		m.field = (m.field + d) % (fieldCount + 1) // the mapping is the last stop
		if m.field == fieldCount {
			return m.preview()
		}
		return tea.Batch(m.fields[m.field].Focus(), m.preview())
	case key.Matches(msg, k.Start):
		opts, err := m.formOptions()
		if err != nil {
			m.setNote(err.Error(), true)
			return nil
		}
		if m.field < fieldCount {
			m.fields[m.field].Blur()
		}
		m.note = ""
		return m.start(opts)
	}
	if m.field == fieldCount {
		return nil
	}
	var cmd tea.Cmd
	m.fields[m.field], cmd = m.fields[m.field].Update(msg)
	return cmd
}

// mappingKey handles a key on the form's mapping: ←→ choose a column, space cycles its type
// through the types a column can load as (back to the inferred one after the last), and letters
// type one (as dora load --type reads it: int, double, keyword…), ⌫ taking them back.
func (m *Model) mappingKey(msg tea.KeyPressMsg) bool {
	if m.plan == nil || len(m.plan.Schema.Fields) == 0 {
		return false
	}
	n := len(m.plan.Schema.Fields)
	m.typeAt = min(m.typeAt, n-1)
	f := m.plan.Schema.Fields[m.typeAt]
	m.note = "" // what start refused is being edited
	switch {
	case key.Matches(msg, m.keys.ColLeft):
		m.typeAt = (m.typeAt + n - 1) % n
		m.typing, m.typeErr = "", nil
	case key.Matches(msg, m.keys.ColRight):
		m.typeAt = (m.typeAt + 1) % n
		m.typing, m.typeErr = "", nil
	case key.Matches(msg, m.keys.CycleType):
		cur := m.typeOf(f)
		i := slices.Index(load.OverrideTypeNames, cur)
		m.setType(f, load.OverrideTypeNames[(i+1)%len(load.OverrideTypeNames)])
		m.typing, m.typeErr = "", nil
	case msg.String() == "backspace" && m.typing != "":
		m.typeText(f, m.typing[:len(m.typing)-1])
	case len(msg.Text) == 1 && (msg.Text[0] >= 'a' && msg.Text[0] <= 'z' || msg.Text[0] >= 'A' && msg.Text[0] <= 'Z'):
		m.typeText(f, m.typing+msg.Text)
	default:
		return false
	}
	return true
}

// typeText takes text typed as column f's type: a type dora has sets it at once, anything else
// is held, marked, until it is one (an empty text is the inferred type again).
func (m *Model) typeText(f query.Field, text string) {
	m.typing, m.typeErr = text, nil
	if text == "" {
		m.setType(f, f.Type)
		return
	}
	t, err := load.ParseType(text)
	if err != nil {
		m.typeErr = fmt.Errorf("column %q: %w", f.Name, err)
		return
	}
	m.setType(f, t)
}

// setType loads column f as t, an override unless t is the inferred type.
func (m *Model) setType(f query.Field, t query.Type) {
	if m.types == nil {
		m.types = map[string]query.Type{}
	}
	if t == f.Type {
		delete(m.types, f.Name)
	} else {
		m.types[f.Name] = t
	}
}

// typeOf is the type column f loads as: the form's, or the inferred one.
func (m *Model) typeOf(f query.Field) query.Type {
	if t, ok := m.types[f.Name]; ok {
		return t
	}
	return f.Type
}

// formOptions reads the form into a load's options, as dora load reads its flags.
func (m *Model) formOptions() (load.Options, error) {
	opts := load.Options{Source: m.value(fieldSource), Table: m.value(fieldTable), Format: m.value(fieldFormat), History: m.opts.History, Catalog: m.opts.Catalog}
	if opts.Source == "" || opts.Table == "" {
		return opts, errors.New("a load needs a source and a table")
	}
	w, err := strconv.Atoi(m.value(fieldWorkers))
	if err != nil || w < 1 {
		return opts, fmt.Errorf("workers wants a number of 1 or more, not %q", m.value(fieldWorkers))
	}
	opts.Workers = w
	for _, c := range strings.Split(m.value(fieldIDs), ",") {
		if c = strings.TrimSpace(c); c != "" {
			opts.IDColumns = append(opts.IDColumns, c)
		}
	}
	if m.plan != nil && m.planFor == opts.Source+"\x00"+opts.Format {
		for _, c := range opts.IDColumns {
			if _, ok := m.plan.Schema.Field(c); !ok {
				return opts, fmt.Errorf("id column %q is not in the source", c)
			}
		}
	}
	opts.DeadLetter = m.opts.DeadLetterDir + "/" + opts.Table + ".dead-letter.ndjson"
	if m.typeErr != nil {
		return opts, m.typeErr
	}
	if len(m.types) > 0 {
		opts.Types = maps.Clone(m.types)
	}
	return opts, nil
}

func (m *Model) runKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	r := m.run
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeBrowse
	case key.Matches(msg, k.Cancel):
		if !r.Done {
			r.cancel()
			m.setNote("cancelling the load; nothing is published", true)
		}
	case key.Matches(msg, k.Open, k.Enter):
		if r.Done && r.Summary.Published {
			return openCmd("", r.Summary.Alias)
		}
		if r.Done {
			m.setNote("the load published nothing to open", true)
		}
	case key.Matches(msg, k.New):
		m.mode = modeBrowse
		return m.openForm()
	}
	return nil
}

// openRecord opens the table of the load under the cursor in the explorer.
func (m *Model) openRecord() tea.Cmd {
	if m.histAt >= len(m.history) {
		return nil
	}
	r := m.history[m.histAt]
	if r.Status != load.StatusSucceeded {
		m.setNote("that load did not finish: its table was not published", true)
		return nil
	}
	url := r.Backend
	if url == backends.Redact(m.backend.Name()) {
		url = ""
	}
	return openCmd(url, r.Table)
}

func openCmd(url, table string) tea.Cmd {
	return func() tea.Msg { return screen.Open{BackendURL: url, Table: table} }
}

// Running says a load is in flight.
func (m *Model) Running() bool { return m.run != nil && !m.run.Done }

// Busy names the load in flight, for the shell to ask before quitting; "" when idle.
func (m *Model) Busy() string {
	if !m.Running() {
		return ""
	}
	return "a load of " + m.run.Opts.Table
}

// SetSize gives the screen its area.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.locInput.SetWidth(max(10, w-14))
	for i := range m.fields {
		m.fields[i].SetWidth(max(10, w-18))
	}
}

// Focus marks the screen shown.
func (m *Model) Focus() { m.focused = true }

// Blur marks it hidden; a load goes on.
func (m *Model) Blur() { m.focused = false }

// Title is the tab's name.
func (m *Model) Title() string { return "Loads" }

// InputFocused is true while the location or the form takes typing.
func (m *Model) InputFocused() bool { return m.editLoc || m.mode == modeForm }

// Status is the running load's progress for the header: "loading 45%".
func (m *Model) Status() string {
	if !m.Running() {
		return ""
	}
	if s := m.run.Stats; s.BytesTotal > 0 {
		return fmt.Sprintf("loading %.0f%%", 100*float64(s.BytesRead)/float64(s.BytesTotal))
	}
	return "loading"
}

// ShortHelp is the bindings of what is in front.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.editLoc:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "list")), k.Back}
	case m.mode == modeForm && m.field == fieldCount:
		typed := key.NewBinding(key.WithKeys("a"), key.WithHelp("a-z", "type a type"))
		return []key.Binding{typed, k.CycleType, k.ColRight, k.Next, k.Start, k.Back}
	case m.mode == modeForm:
		return []key.Binding{k.Next, k.Start, k.Back}
	case m.mode == modeRun && m.run.Done:
		return []key.Binding{k.Open, k.New, k.Back}
	case m.mode == modeRun:
		return []key.Binding{k.Cancel, k.Back}
	case m.pane == paneLoads:
		return []key.Binding{k.Up, k.Open, k.Switch, k.New, k.Refresh}
	}
	b := []key.Binding{k.Up, k.Enter, k.Parent, k.Location, k.New, k.Switch}
	if m.run != nil {
		b = append(b, k.Progress)
	}
	return b
}
