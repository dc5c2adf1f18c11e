package dash

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/query"
)

// Load reads and checks a dashboard file; see Parse.
func Load(path string, views ViewLookup) (*Dashboard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the dashboard: %w", err)
	}
	return Parse(path, data, views)
}

// Parse reads a dashboard file. Unknown keys are refused, every panel's SQL is parsed, saved
// views are looked up with views (nil when there are none), and every problem is reported with
// its line and column; the error is an Errors.
func Parse(file string, data []byte, views ViewLookup) (*Dashboard, error) {
	f, root := yamlfile.Parse(file, data)
	p := &fileParser{File: f, lines: strings.Split(string(data), "\n"), views: views}
	d := &Dashboard{File: file, Columns: 2}
	switch {
	case f.Err() != nil:
	case root == nil:
		p.errorf(nil, "the file is empty: a dashboard needs at least a list of panels")
	default:
		p.dashboard(root, d)
	}
	if err := f.Err(); err != nil {
		es := err.(yamlfile.Errors)
		sort.SliceStable(es, func(i, j int) bool {
			a, b := es[i], es[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, es
	}
	return d, nil
}

type fileParser struct {
	*yamlfile.File
	lines []string // for placing errors inside a scalar
	views ViewLookup
}

func (p *fileParser) errorAt(line, col int, format string, args ...any) {
	p.ErrorAt(line, col, format, args...)
}

func (p *fileParser) errorf(n *yaml.Node, format string, args ...any) { p.Errorf(n, format, args...) }

// count is how many problems were found so far.
func (p *fileParser) count() int {
	es, _ := p.Err().(yamlfile.Errors)
	return len(es)
}

// fields walks a mapping, refusing keys not in known; each known key's value goes to fn.
func (p *fileParser) fields(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) {
	yamlfile.WalkFields(n, what, known, p.errorf, fn)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *fileParser) scalar(n *yaml.Node, what string) (string, bool) { return p.Scalar(n, what) }

func (p *fileParser) integer(n *yaml.Node, what string, lo, hi int) (int, bool) {
	s, ok := p.scalar(n, what)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		p.errorf(n, "%s should be a whole number from %d to %d, not %q", what, lo, hi, s)
		return 0, false
	}
	return v, true
}

var dashboardKeys = []string{"title", "time", "refresh", "layout", "where", "panels"}

func (p *fileParser) dashboard(n *yaml.Node, d *Dashboard) {
	var panels *yaml.Node
	p.fields(n, "the dashboard", dashboardKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "title":
			d.Title, _ = p.scalar(v, "title")
		case "time":
			p.timeKey(v, d)
		case "refresh":
			p.refresh(v, d)
		case "layout":
			p.fields(v, "layout", []string{"columns"}, func(_ string, _, v *yaml.Node) {
				if c, ok := p.integer(v, "layout.columns", 1, 12); ok {
					d.Columns = c
				}
			})
		case "where":
			if s, ok := p.scalar(v, "where"); ok && strings.TrimSpace(s) != "" {
				e, err := ParseWhere(s)
				if err != nil {
					p.located(v, err)
				}
				d.Where, d.WhereText = e, strings.TrimSpace(s)
			}
		case "panels":
			panels = v
		}
	})
	if n.Kind != yaml.MappingNode {
		return
	}
	if panels == nil {
		p.errorf(n, "the dashboard has no panels: add a list under panels:")
		return
	}
	if panels.Kind != yaml.SequenceNode || len(panels.Content) == 0 {
		p.errorf(panels, "panels should be a list of panels, each with a title and sql or view")
		return
	}
	for i, pn := range panels.Content {
		if pan, ok := p.panel(pn, i, d); ok {
			d.Panels = append(d.Panels, pan)
		}
	}
}

func (p *fileParser) timeKey(v *yaml.Node, d *Dashboard) {
	var from, to *yaml.Node
	p.fields(v, "time", []string{"column", "from", "to"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "column":
			d.TimeColumn, _ = p.scalar(v, "time.column")
		case "from":
			from = v
		case "to":
			to = v
		}
	})
	bound := func(n *yaml.Node, name string) Bound {
		if n == nil {
			return Bound{}
		}
		s, ok := p.scalar(n, "time."+name)
		if !ok {
			return Bound{}
		}
		b, err := ParseBound(s)
		if err != nil {
			p.errorf(n, "time.%s: %v", name, err)
		}
		return b
	}
	d.Range = Range{From: bound(from, "from"), To: bound(to, "to")}
	if from != nil && to != nil {
		if err := d.Range.check(time.Now()); err != nil {
			p.errorf(from, "%v", err)
		}
	}
	if d.TimeColumn == "" && v.Kind == yaml.MappingNode {
		p.errorf(v, "time needs a column: the time column the range applies to, as in {column: shipped_at, from: now-30d}")
	}
}

func (p *fileParser) refresh(v *yaml.Node, d *Dashboard) {
	s, ok := p.scalar(v, "refresh")
	if !ok {
		return
	}
	if s == "off" || s == "0" || s == "" {
		return
	}
	r, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.errorf(v, "refresh should be a duration such as 30s, 5m or 1h (or off), not %q", s)
	case r < time.Second:
		p.errorf(v, "refresh %s is too often: at least 1s", s)
	default:
		d.Refresh = r
	}
}

var panelKeys = []string{"title", "sql", "view", "chart", "time", "width", "height", "thresholds"}

func (p *fileParser) panel(n *yaml.Node, i int, d *Dashboard) (Panel, bool) {
	pan := Panel{Width: 1, Height: 1, Line: n.Line}
	before := p.count()
	var sqlNode, viewNode, chartNode, widthNode *yaml.Node
	p.fields(n, fmt.Sprintf("panel %d", i+1), panelKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "title":
			pan.Title, _ = p.scalar(v, "title")
		case "sql":
			sqlNode = v
		case "view":
			viewNode = v
		case "chart":
			chartNode = v
		case "time":
			pan.TimeColumn, _ = p.scalar(v, "a panel's time (its time column)")
		case "width":
			widthNode = v
			if w, ok := p.integer(v, "width", 1, 12); ok {
				pan.Width = w
			}
		case "height":
			if h, ok := p.integer(v, "height", 1, 12); ok {
				pan.Height = h
			}
		case "thresholds":
			pan.Thresholds = p.thresholds(v)
		}
	})
	if n.Kind != yaml.MappingNode {
		return pan, false
	}
	viewChart := charts.None
	switch {
	case sqlNode != nil && viewNode != nil:
		p.errorf(viewNode, "a panel takes sql or view, not both")
	case sqlNode != nil:
		if s, ok := p.scalar(sqlNode, "sql"); ok {
			pan.SQL = strings.TrimSpace(s)
			spec, err := query.Parse(s)
			if err != nil {
				p.located(sqlNode, err)
			}
			pan.Spec = spec
		}
	case viewNode != nil:
		name, ok := p.scalar(viewNode, "view")
		if !ok {
			break
		}
		pan.View = name
		if p.views == nil {
			p.errorf(viewNode, "no saved views to take %q from", name)
			break
		}
		v, err := p.views(name)
		if err != nil {
			p.errorf(viewNode, "%v", err)
			break
		}
		pan.SQL, viewChart, pan.Metric = v.SQL, v.Chart, v.Metric
		spec, err := query.Parse(v.SQL)
		if err != nil {
			p.errorf(viewNode, "the saved view %q does not parse: %v", name, err)
		}
		pan.Spec = spec
	default:
		p.errorf(n, "panel %d needs sql: a SQL line, or view: the name of a saved view", i+1)
	}
	if pan.Title == "" {
		pan.Title = pan.View
		if pan.Title == "" {
			pan.Title = fmt.Sprintf("panel %d", i+1)
		}
	}
	if widthNode != nil && pan.Width > d.Columns {
		p.errorf(widthNode, "width %d is wider than the grid's %d columns (layout.columns)", pan.Width, d.Columns)
	}
	if p.count() > before {
		return pan, false
	}
	sh := shapeOf(pan.Spec)
	pan.Chart = charts.Panel(sh)
	switch {
	case chartNode != nil:
		s, ok := p.scalar(chartNode, "chart")
		if !ok {
			return pan, false
		}
		k, ok := charts.ParseDashboard(s)
		if !ok {
			p.errorf(chartNode, "unknown chart %q: use %s", s, strings.Join(charts.DashboardNames(), ", "))
			return pan, false
		}
		if err := k.Fits(sh); err != nil {
			p.errorf(chartNode, "%v", err)
			return pan, false
		}
		pan.Chart = k.On(sh)
	case viewChart.Dashboard() != "" && viewChart.Fits(sh) == nil: // None, the view's default, has no dashboard name
		pan.Chart = viewChart.On(sh)
	}
	return pan, true
}

// shapeOf is the shape of a query's answer, as package charts chooses and checks a panel's
// chart by it.
func shapeOf(s query.Spec) charts.Shape {
	sh := charts.Shape{Raw: s.IsRaw()}
	for _, g := range s.GroupBy {
		sh.Time = append(sh.Time, g.IsTime())
	}
	return sh
}

var colorNames = []string{"green", "yellow", "orange", "red", "blue", "magenta", "purple", "cyan", "gray", "grey", "white"}

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

func (p *fileParser) thresholds(v *yaml.Node) []Threshold {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "thresholds should be a list such as [{value: 4.5, color: green}]")
		return nil
	}
	var out []Threshold
	for _, tn := range v.Content {
		var t Threshold
		var have bool
		p.fields(tn, "a threshold", []string{"value", "color"}, func(key string, _, v *yaml.Node) {
			s, ok := p.scalar(v, key)
			if !ok {
				return
			}
			switch key {
			case "value":
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					p.errorf(v, "a threshold's value should be a number, not %q", s)
				}
				t.Value, have = f, true
			case "color":
				if !contains(colorNames, s) && !hexColor.MatchString(s) {
					p.errorf(v, "unknown colour %q: use %s or #rrggbb", s, strings.Join(colorNames, ", "))
				}
				t.Color = s
			}
		})
		if tn.Kind == yaml.MappingNode && (!have || t.Color == "") {
			p.errorf(tn, "a threshold needs a value and a color")
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out
}

// located reports a query parse error at its place in the file: the scalar's position moved by
// the error's offset into the text.
func (p *fileParser) located(n *yaml.Node, err error) {
	var pe *query.ParseError
	if !errors.As(err, &pe) || pe.Offset < 0 {
		p.errorf(n, "%v", err)
		return
	}
	line, col := p.offsetPos(n, pe.Offset)
	p.errorAt(line, col, "%s", pe.Msg)
}

// offsetPos finds where byte off of a scalar's value stands in the file, walking the source as
// YAML folds it: block scalars drop their indentation, quoted ones their escapes, and a line
// break is one character of the value in every style.
func (p *fileParser) offsetPos(n *yaml.Node, off int) (line, col int) {
	line, col = n.Line, n.Column
	if line < 1 || line > len(p.lines) {
		return line, col
	}
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	single, double := n.Style&yaml.SingleQuotedStyle != 0, n.Style&yaml.DoubleQuotedStyle != 0
	src := []rune(p.lines[line-1])
	i := col - 1 // rune index into src
	if single || double {
		i++
	}
	if block { // the value starts on the next line, at its indentation
		line++
		i, src = -1, nil
	}
	indent := func() {
		for line <= len(p.lines) {
			src = []rune(strings.TrimRight(p.lines[line-1], "\r"))
			i = 0
			for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
				i++
			}
			if i < len(src) || !block {
				return
			}
			line++ // a blank line inside a block scalar
		}
	}
	if block {
		indent()
	}
	for v := 0; v < off; {
		if i >= len(src) { // the line break
			line++
			v++
			indent()
			if line > len(p.lines) {
				break
			}
			continue
		}
		step := 1
		switch {
		case single && src[i] == '\'' && i+1 < len(src) && src[i+1] == '\'':
			step = 2
		case double && src[i] == '\\' && i+1 < len(src):
			step = 2
		}
		v += utf8.RuneLen(src[i])
		i += step
	}
	return line, i + 1
}

// ParseWhere reads a WHERE expression of the SQL subset, as the dashboard's filter. Errors point
// into the expression.
func ParseWhere(expr string) (query.Expr, error) {
	const prefix = "SELECT * FROM t WHERE "
	spec, err := query.Parse(prefix + expr)
	var pe *query.ParseError
	if errors.As(err, &pe) && pe.Offset >= 0 {
		off := max(0, pe.Offset-len(prefix))
		line, col := 1, 1
		for _, r := range expr[:min(off, len(expr))] {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		msg := strings.Replace(pe.Msg, "end of query", "end of the filter", 1)
		return nil, &query.ParseError{SQL: expr, Offset: off, Line: line, Column: col, Msg: msg}
	}
	if err != nil {
		return nil, err
	}
	if spec.Where == nil || !spec.IsRaw() || spec.Limit != 0 || len(spec.OrderBy) > 0 {
		return nil, &query.ParseError{SQL: expr, Offset: -1, Msg: "want a filter expression such as region = 'West' AND price > 50"}
	}
	return spec.Where, nil
}
