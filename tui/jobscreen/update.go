package jobscreen

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/pipelines/jobs"
)

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.launching != nil {
		return m.formKey(msg)
	}
	if m.searching {
		return m.searchKey(msg)
	}
	m.note = ""
	if m.detail != nil {
		return m.detailKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Switch):
		m.pane = 1 - m.pane
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-max(1, m.h/2))
	case key.Matches(msg, k.PageDown):
		m.move(max(1, m.h/2))
	case key.Matches(msg, k.Open):
		if m.pane == paneDefs { // a job's runs
			if d := m.selectedDef(); d != nil {
				m.byJob, m.pane, m.runAt = d.Name, paneRuns, 0
			}
			return nil
		}
		return m.openRun(m.selectedRun())
	case key.Matches(msg, k.Back):
		if m.byJob != "" || m.byStatus != 0 {
			m.byJob, m.byStatus = "", 0
			m.clampCursors()
		}
	case key.Matches(msg, k.ByJob):
		m.filterByJob()
	case key.Matches(msg, k.ByStatus):
		m.byStatus = (m.byStatus + 1) % len(statusFilters)
		m.runAt = 0
	case key.Matches(msg, k.Launch):
		return m.openForm()
	case key.Matches(msg, k.Cancel):
		return m.cancelRun(m.selectedRun())
	case key.Matches(msg, k.Retry):
		return m.retryRun(m.selectedRun())
	case key.Matches(msg, k.Refresh):
		return m.refresh()
	}
	return nil
}

func (m *Model) move(d int) {
	if m.pane == paneDefs {
		m.defAt = max(0, min(m.defAt+d, len(m.defs)-1))
	} else {
		m.runAt = max(0, min(m.runAt+d, len(m.shown())-1))
	}
}

// filterByJob shows only the runs of the job under the cursor, or all of them again.
func (m *Model) filterByJob() {
	switch {
	case m.byJob != "":
		m.byJob = ""
	case m.pane == paneDefs && m.selectedDef() != nil:
		m.byJob = m.selectedDef().Name
	case m.pane == paneRuns && m.selectedRun() != nil:
		m.byJob = m.selectedRun().Job
	}
	m.runAt = 0
}

// jobOf is the definition to launch: the one under the cursor, or the selected run's.
func (m *Model) jobOf() *jobs.Definition {
	if m.pane == paneRuns {
		if r := m.selectedRun(); r != nil {
			for _, d := range m.defs {
				if d.Name == r.Job {
					return d
				}
			}
		}
	}
	return m.selectedDef()
}

// envLines is a definition's env as the form shows it, one KEY=VALUE a line, secrets masked.
func envLines(d *jobs.Definition) string {
	env := jobs.RedactEnv(d.Env)
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	return b.String()
}

func (m *Model) openForm() tea.Cmd {
	d := m.jobOf()
	if d == nil {
		m.setNote("no job to launch: write one NAME.yaml in "+m.opts.Dir, true)
		return nil
	}
	m.launching = d
	m.form.SetValue(envLines(d))
	return m.form.Focus()
}

// overrides reads the form: the lines that differ from the job's env. A masked secret left as
// it is stays the job's.
func overrides(d *jobs.Definition, text string) (map[string]string, error) {
	var pairs []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			pairs = append(pairs, line)
		}
	}
	all, err := jobs.ParseOverrides(pairs)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range all {
		if old, ok := d.Env[k]; ok && (v == old || v == jobs.Redacted && jobs.IsSecret(k)) {
			continue
		}
		out[k] = v
	}
	return out, nil
}

func (m *Model) formKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Back):
		m.launching = nil
		m.form.Blur()
		return nil
	case key.Matches(msg, m.keys.Submit):
		d := m.launching
		env, err := overrides(d, m.form.Value())
		if err != nil {
			m.setNote(err.Error(), true)
			return nil
		}
		if _, err := jobs.ExpandCommand(d.Command, jobs.RunEnv(d, env, "", "")); err != nil {
			m.setNote(fmt.Sprintf("%s: %v", d.Name, err), true)
			return nil
		}
		m.launching = nil
		m.form.Blur()
		m.byJob, m.byStatus, m.pane, m.runAt = "", 0, paneRuns, 0
		return m.launch(d, env)
	}
	var cmd tea.Cmd
	m.form, cmd = m.form.Update(msg)
	return cmd
}

// launch records a run of d and hands it to a watcher, as dora jobs run does.
func (m *Model) launch(d *jobs.Definition, env map[string]string) tea.Cmd {
	if m.driver == nil {
		m.setNote("the run store is not open yet", true)
		return nil
	}
	ctx, drv := m.ctx, m.driver
	return func() tea.Msg {
		r, err := drv.Create(ctx, d, env, "")
		if err != nil {
			return doneMsg{err: err}
		}
		return detach(ctx, drv, r, "launched")
	}
}

// detach hands a recorded run to a watcher; a run no watcher could take is failed, as the
// CLI does.
func detach(ctx context.Context, drv *jobs.Driver, r *jobs.Run, what string) doneMsg {
	if err := drv.Detach(ctx, r.ID); err != nil {
		drv.Store.Finish(context.WithoutCancel(ctx), r.ID, jobs.Failed, nil, "no watcher could be started: "+err.Error())
		return doneMsg{err: err}
	}
	return doneMsg{run: r, note: fmt.Sprintf("%s %s as run %s", what, r.Job, r.ID)}
}

func (m *Model) cancelRun(r *jobs.Run) tea.Cmd {
	switch {
	case r == nil || m.driver == nil:
		return nil
	case r.State.Ended():
		m.setNote(fmt.Sprintf("run %s has already ended: %s", r.ID, r.State), true)
		return nil
	}
	m.setNote("cancelling "+r.ID+"…", false)
	ctx, drv, id := m.ctx, m.driver, r.ID
	return func() tea.Msg {
		end, err := drv.Cancel(ctx, id, fmt.Sprintf("the dora TUI (%s)", jobs.Self()), 30*time.Second)
		if err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{note: fmt.Sprintf("run %s %s", end.ID, end.State)}
	}
}

func (m *Model) retryRun(r *jobs.Run) tea.Cmd {
	switch {
	case r == nil || m.driver == nil:
		return nil
	case !r.State.Ended():
		m.setNote(fmt.Sprintf("run %s is still %s: wait for it, or cancel it first", r.ID, r.State), true)
		return nil
	}
	ctx, drv, id := m.ctx, m.driver, r.ID
	return func() tea.Msg {
		nr, err := drv.Retry(ctx, id)
		if err != nil {
			return doneMsg{err: err}
		}
		return detach(ctx, drv, nr, "retried")
	}
}

// openRun shows a run with its log, following it.
func (m *Model) openRun(r *jobs.Run) tea.Cmd {
	if r == nil {
		return nil
	}
	m.detail, m.log, m.partial, m.logPos, m.scroll, m.mark, m.dropped = r, nil, "", 0, 0, -1, 0
	m.search, m.matches, m.scanned, m.matchAt = nil, nil, 0, -1
	m.logSeq++
	m.logBusy, m.following = false, true
	return m.readLog()
}

var errorLine = regexp.MustCompile(`(?i)\b(error|fatal|panic|exception|traceback)\b|failed`)

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	lines := m.Log()
	last := max(0, len(lines)-m.logH())
	switch {
	case key.Matches(msg, k.Back) && m.search != nil: // the first esc puts the search away
		m.setSearch("")
	case key.Matches(msg, k.Back):
		m.detail = nil
		m.logSeq++ // a read in flight is for a run no longer shown
	case key.Matches(msg, k.Search):
		return m.startSearch()
	case key.Matches(msg, k.Next) && m.search != nil:
		m.nextMatch(1)
	case key.Matches(msg, k.Prev) && m.search != nil:
		m.nextMatch(-1)
	case key.Matches(msg, k.Up):
		m.scroll, m.following = max(0, m.scroll-1), false
	case key.Matches(msg, k.Down):
		m.scroll = min(last, m.scroll+1)
		m.following = m.scroll == last
	case key.Matches(msg, k.PageUp):
		m.scroll, m.following = max(0, m.scroll-m.logH()), false
	case key.Matches(msg, k.PageDown):
		m.scroll = min(last, m.scroll+m.logH())
		m.following = m.scroll == last
	case key.Matches(msg, k.Top):
		m.scroll, m.following = 0, false
	case key.Matches(msg, k.Follow):
		m.scroll, m.following = last, true
	case key.Matches(msg, k.FirstError):
		for i, l := range lines {
			if !strings.HasPrefix(l, "dora: ") && errorLine.MatchString(l) { // dora's own lines quote the command
				m.scroll, m.following, m.mark = min(i, last), false, i
				return nil
			}
		}
		m.setNote("no line looks like an error", false)
	case key.Matches(msg, k.Cancel):
		return m.cancelRun(m.detail)
	case key.Matches(msg, k.Retry):
		return m.retryRun(m.detail)
	case key.Matches(msg, k.Refresh):
		return m.readLog()
	case key.Matches(msg, k.Launch):
		return m.openForm()
	}
	return nil
}

// ShortHelp is the bindings of what is in front: the form, a run's log, or the lists.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.launching != nil:
		return []key.Binding{k.Submit, k.Back}
	case m.searching:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "find")), k.Back}
	case m.detail != nil && m.search != nil:
		return []key.Binding{k.Next, k.Search, k.Up, k.PageUp, k.Follow, k.FirstError, k.Back}
	case m.detail != nil:
		launch := k.Launch
		launch.SetHelp("n", "launch "+m.detail.Job)
		return []key.Binding{k.Search, k.Follow, k.FirstError, k.Cancel, k.Retry, launch, k.Back, k.Up, k.PageUp}
	}
	launch := k.Launch
	if d := m.jobOf(); d != nil {
		launch.SetHelp("n", "launch "+d.Name)
	}
	return []key.Binding{launch, k.Open, k.Cancel, k.Retry, k.Switch, k.ByJob, k.ByStatus, k.Up, k.Refresh}
}

// FullHelp is every binding, grouped.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.PageUp, k.Switch, k.Open, k.Back},
		{k.Launch, k.Submit, k.Cancel, k.Retry, k.ByJob, k.ByStatus, k.Refresh},
		{k.Follow, k.Top, k.FirstError, k.Search, k.Next},
	}
}
