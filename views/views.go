// Package views keeps saved views: named SQL lines with the chart they are drawn as, in
// $XDG_CONFIG_HOME/dora/views.yaml:
//
//	views:
//	  - name: kept-by-region
//	    sql: SELECT region, sum(items_kept) FROM shipments GROUP BY region
//	    chart: bars
//
// A file is read into its YAML node tree and edited there, so what a person wrote in it
// (comments, order, blank lines between views) survives the explorer's edits.
package views

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/query"
)

// View is one saved view.
type View struct {
	Name string
	SQL  string // one SQL line that query.Parse accepts
	// Chart is the chart kind as the file says it, by its explorer name (charts.ViewNames);
	// "" for the default. Kind reads it.
	Chart string
	// Metric is the metric the chart draws, by its result column name; "" for the first.
	Metric string
	// Backend is the backend URL or config name the view was saved against, never with
	// credentials; "" when it was saved on the default one.
	Backend string
}

// Spec is the view's query.
func (v View) Spec() (query.Spec, error) { return query.Parse(v.SQL) }

// Kind is the chart kind the view names; charts.None for the default (or a name Check refuses).
func (v View) Kind() charts.Kind {
	if v.Chart == "" {
		return charts.None
	}
	k, _ := charts.ParseView(v.Chart)
	return k
}

// keys are a view's keys in the order a new view is written.
var keys = []string{"name", "sql", "chart", "metric", "backend"}

// field is the view's value for a key of keys.
func (v *View) field(key string) *string {
	return map[string]*string{"name": &v.Name, "sql": &v.SQL, "chart": &v.Chart, "metric": &v.Metric, "backend": &v.Backend}[key]
}

// DefaultPath is $XDG_CONFIG_HOME/dora/views.yaml (~/.config/dora/views.yaml without it).
func DefaultPath() string {
	dir := xdg.ConfigDir()
	if dir == "" {
		return "views.yaml"
	}
	return filepath.Join(dir, "views.yaml")
}

// File is a views file as read, ready to be edited and saved.
type File struct {
	Path  string
	src   []byte     // the text as read
	doc   *yaml.Node // the document; nil when the file holds no YAML (missing, empty or only comments)
	seq   *yaml.Node // the views sequence; nil until the file has one
	slot  *yaml.Node // the value node of "views:" when it is empty, replaced by seq on the first Put
	views []View     // seq's items, decoded
	blank map[*yaml.Node]bool
	mode  os.FileMode
}

// Load reads a views file. A missing file is an empty one. Bad YAML, unknown keys, a view
// without a name or SQL, two views of one name and SQL that does not parse are errors that name
// the file, line and column.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{Path: path, mode: 0o600, blank: map[*yaml.Node]bool{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading saved views: %w", err)
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil {
		f.mode = fi.Mode().Perm()
	}
	return f, nil
}

// Parse reads the text of a views file; path is for messages and Save.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path, src: data, mode: 0o600, blank: map[*yaml.Node]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, f.syntaxError(err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, f.errorAtPos(more.Line, 1, "a views file holds one YAML document; this is a second")
	} else if err != io.EOF {
		return nil, f.syntaxError(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f, nil
	}
	f.doc = &doc
	fixComments(&doc, strings.Split(string(data), "\n"))
	f.blank = blankBefore(&doc, data)
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return f, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, f.errorAt(root, "a views file is a mapping with one key, views: a list of views")
	}
	if err := f.noAliases(root); err != nil {
		return nil, err
	}
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value != "views":
			return nil, f.errorAt(k, "unknown key %q: a views file has only views: (a list of views)", k.Value)
		case f.seq != nil || f.slot != nil:
			return nil, f.errorAt(k, "views: is given twice")
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			f.slot = v
		case v.Kind != yaml.SequenceNode:
			return nil, f.errorAt(v, "views: is a list of views, each with a name and sql")
		default:
			f.seq = v
		}
	}
	if f.seq == nil {
		return f, nil
	}
	first := map[string]int{} // name -> line
	for _, item := range f.seq.Content {
		v, err := f.decode(item)
		if err != nil {
			return nil, err
		}
		if line, dup := first[v.Name]; dup {
			return nil, f.errorAt(item, "view %q is saved twice (first on line %d)", v.Name, line)
		}
		first[v.Name] = item.Line
		f.views = append(f.views, v)
	}
	return f, nil
}

// noAliases refuses anchors and aliases: an edit through one would change what it points at.
func (f *File) noAliases(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return f.errorAt(n, "anchors and aliases are not supported in a views file")
	}
	for _, c := range n.Content {
		if err := f.noAliases(c); err != nil {
			return err
		}
	}
	return nil
}

// decode reads and checks one view.
func (f *File) decode(item *yaml.Node) (View, error) {
	var v View
	if item.Kind != yaml.MappingNode {
		return v, f.errorAt(item, "a view is a mapping with a name and sql, like {name: top, sql: \"SELECT …\"}")
	}
	seen := map[string]bool{}
	vals := map[string]*yaml.Node{}
	for i := 0; i < len(item.Content); i += 2 {
		k, val := item.Content[i], item.Content[i+1]
		if !isKey(k.Value) {
			msg := fmt.Sprintf("unknown key %q in a view (keys: %s)", k.Value, strings.Join(keys, ", "))
			if near := query.Nearest(k.Value, keys); near != "" {
				msg = fmt.Sprintf("unknown key %q in a view; did you mean %q?", k.Value, near)
			}
			return v, f.errorAt(k, "%s", msg)
		}
		if seen[k.Value] {
			return v, f.errorAt(k, "%s: is given twice in one view", k.Value)
		}
		seen[k.Value] = true
		if val.Kind != yaml.ScalarNode {
			return v, f.errorAt(val, "%s: is text, not a list or a mapping", k.Value)
		}
		if val.Tag != "!!null" {
			*v.field(k.Value) = val.Value
			vals[k.Value] = val
		}
	}
	at := func(key string) *yaml.Node {
		if n := vals[key]; n != nil {
			return n
		}
		return item
	}
	if v.Name == "" {
		return v, f.errorAt(item, "a view needs a name:")
	}
	if err := checkName(v.Name); err != nil {
		return v, f.errorAt(at("name"), "%v", err)
	}
	if strings.TrimSpace(v.SQL) == "" {
		return v, f.errorAt(at("sql"), "view %q needs sql: the SQL line it runs", v.Name)
	}
	if _, err := query.Parse(v.SQL); err != nil {
		var pe *query.ParseError
		if errors.As(err, &pe) {
			return v, f.sqlError(v.Name, vals["sql"], pe)
		}
		return v, f.errorAt(at("sql"), "view %q: %v", v.Name, err)
	}
	if err := checkChart(v.Chart); err != nil {
		return v, f.errorAt(at("chart"), "view %q: %v", v.Name, err)
	}
	if v.Backend != backends.Redact(v.Backend) {
		return v, f.errorAt(at("backend"), "view %q: backend: holds credentials; give them in ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD (or ELASTICSEARCH_API_KEY) instead", v.Name)
	}
	return v, nil
}

func isKey(s string) bool {
	for _, k := range keys {
		if k == s {
			return true
		}
	}
	return false
}

func checkName(name string) error {
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("view name %q starts or ends with a space", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("view name %q holds a control character", name)
		}
	}
	return nil
}

func checkChart(chart string) error {
	if k, ok := charts.ParseView(chart); chart == "" || ok && k != charts.None {
		return nil
	}
	names := charts.ViewNames()
	msg := fmt.Sprintf("unknown chart %q (charts: %s)", chart, strings.Join(names, ", "))
	if near := query.Nearest(chart, names); near != "" {
		msg = fmt.Sprintf("unknown chart %q; did you mean %q?", chart, near)
	}
	return errors.New(msg)
}

// Check reports what is wrong with a view before it is saved.
func Check(v View) error {
	if v.Name == "" {
		return errors.New("a view needs a name")
	}
	if err := checkName(v.Name); err != nil {
		return err
	}
	if _, err := query.Parse(v.SQL); err != nil {
		return fmt.Errorf("view %q: %w", v.Name, err)
	}
	return checkChart(v.Chart)
}

// List returns the views in the file's order.
func (f *File) List() []View { return append([]View(nil), f.views...) }

// Names returns the views' names in the file's order.
func (f *File) Names() []string {
	out := make([]string, len(f.views))
	for i, v := range f.views {
		out[i] = v.Name
	}
	return out
}

func (f *File) index(name string) int {
	for i, v := range f.views {
		if v.Name == name {
			return i
		}
	}
	return -1
}

// Get returns the view of that name.
func (f *File) Get(name string) (View, bool) {
	if i := f.index(name); i >= 0 {
		return f.views[i], true
	}
	return View{}, false
}

// Find returns the view of that name, or a *NotFoundError that names the nearest one.
func (f *File) Find(name string) (View, error) {
	if v, ok := f.Get(name); ok {
		return v, nil
	}
	return View{}, &NotFoundError{Name: name, Path: f.Path, Names: f.Names()}
}

// Put saves v in the file (in memory; Save writes it): a view of the same name is replaced where
// it stands, keeping its comments; a new one goes last. Credentials in the backend URL are
// dropped.
func (f *File) Put(v View) error {
	v.Backend = backends.Redact(v.Backend)
	if err := Check(v); err != nil {
		return err
	}
	if i := f.index(v.Name); i >= 0 {
		item := f.seq.Content[i]
		for _, k := range keys {
			setKey(item, k, *v.field(k))
		}
		f.views[i] = v
		return nil
	}
	f.ensureSeq()
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: f.seq.Style & yaml.FlowStyle}
	for _, k := range keys {
		setKey(item, k, *v.field(k))
	}
	for _, prev := range f.seq.Content {
		if f.blank[prev] {
			f.blank[item] = true // the views are set apart by blank lines: so is this one
		}
	}
	f.seq.Content = append(f.seq.Content, item)
	f.views = append(f.views, v)
	return nil
}

// Remove deletes the view of that name; comments below it move to what follows.
func (f *File) Remove(name string) error {
	i := f.index(name)
	if i < 0 {
		return &NotFoundError{Name: name, Path: f.Path, Names: f.Names()}
	}
	item := f.seq.Content[i]
	if foot := item.FootComment; foot != "" {
		if i+1 < len(f.seq.Content) {
			next := f.seq.Content[i+1]
			next.HeadComment = strings.TrimSuffix(foot+"\n"+next.HeadComment, "\n")
		} else {
			f.seq.FootComment = strings.TrimSuffix(foot+"\n"+f.seq.FootComment, "\n")
		}
	}
	if i == 0 && len(f.seq.Content) > 1 { // the next view becomes the first: set apart as it was
		f.blank[f.seq.Content[1]] = f.blank[item]
	}
	f.seq.Content = append(f.seq.Content[:i], f.seq.Content[i+1:]...)
	f.views = append(f.views[:i], f.views[i+1:]...)
	return nil
}

// ensureSeq gives the file a views sequence to append to.
func (f *File) ensureSeq() {
	if f.seq != nil {
		return
	}
	f.seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if f.slot != nil { // "views:" with nothing after it
		comments := *f.slot
		*f.slot = *f.seq
		f.slot.HeadComment, f.slot.LineComment, f.slot.FootComment = comments.HeadComment, comments.LineComment, comments.FootComment
		f.seq, f.slot = f.slot, nil
		return
	}
	if f.doc == nil {
		f.doc = &yaml.Node{Kind: yaml.DocumentNode}
	}
	if len(f.doc.Content) == 0 || f.doc.Content[0].Kind != yaml.MappingNode {
		root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if len(f.doc.Content) > 0 { // a null document: keep its comments
			old := f.doc.Content[0]
			root.HeadComment, root.LineComment, root.FootComment = old.HeadComment, old.LineComment, old.FootComment
		}
		f.doc.Content = []*yaml.Node{root}
	}
	root := f.doc.Content[0]
	root.Content = append(root.Content, str("views", false), f.seq)
}

func str(s string, flow bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: quoting(s, flow)}
}

// quoting is how a new value is written: plain when YAML allows it, else in double quotes,
// which SQL's single quotes read best in (yaml.v3 would pick single quotes and double them).
func quoting(s string, flow bool) yaml.Style {
	if flow && strings.ContainsAny(s, ",[]{}") {
		return yaml.DoubleQuotedStyle
	}
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	if err == nil && strings.HasPrefix(string(out), "'") {
		return yaml.DoubleQuotedStyle
	}
	return 0
}

// setKey sets a key of a mapping to value: in place when the key is there (its comments and
// quoting stay), after the keys that come before it in a new view when it is not; an empty
// value removes an optional key.
func setKey(m *yaml.Node, key, value string) {
	at, flow := -1, m.Style&yaml.FlowStyle != 0
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			at = i
		}
	}
	switch {
	case at >= 0 && value == "" && key != "name" && key != "sql":
		m.Content = append(m.Content[:at], m.Content[at+2:]...)
	case at >= 0:
		v := m.Content[at+1]
		if v.Value != value || v.Tag != "!!str" {
			v.Value, v.Tag = value, "!!str"
			switch {
			case v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && !strings.Contains(value, "\n"):
				v.Style = quoting(value, flow) // a block scalar for one line reads badly
			case v.Style == 0:
				v.Style = quoting(value, flow)
			}
		}
	case value != "":
		pos := 0 // after the last key that a new view writes before this one
		for i := 0; i < len(m.Content); i += 2 {
			if order(m.Content[i].Value) < order(key) {
				pos = i + 2
			}
		}
		pair := []*yaml.Node{str(key, flow), str(value, flow)}
		m.Content = append(m.Content[:pos], append(pair, m.Content[pos:]...)...)
	}
}

func order(key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return len(keys)
}

// header starts a file dora writes first.
const header = "# dora's saved views: S in the explorer saves the view on screen, V opens one,\n" +
	"# dora views ls lists them and dora --view NAME opens one. Comments and order are kept.\n"

// Bytes is the text Save writes.
func (f *File) Bytes() ([]byte, error) {
	if f.doc == nil {
		return f.src, nil
	}
	indent := 2
	if f.seq != nil && len(f.seq.Content) > 0 && f.seq.Content[0].Line > 0 {
		// "views:" at column 1, "- " at indent+1, the view's keys at indent+3
		if c := f.seq.Content[0].Column - 3; c >= 2 && c <= 8 {
			indent = c
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(indent)
	if err := enc.Encode(f.doc); err != nil {
		return nil, fmt.Errorf("writing saved views: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing saved views: %w", err)
	}
	out, err := restoreBlankLines(f.doc, f.blank, buf.Bytes())
	if err != nil {
		return nil, err
	}
	if len(f.src) == 0 && f.seq != nil && f.seq.Line == 0 && f.doc.Content[0].HeadComment == "" {
		return append([]byte(header), out...), nil
	}
	if len(bytes.TrimSpace(f.src)) > 0 && f.seq != nil && f.seq.Line == 0 && f.doc.Line == 0 {
		// the file held only comments: they stay on top
		src := bytes.TrimRight(f.src, "\n")
		return append(append(src, '\n'), out...), nil
	}
	return out, nil
}

// Save writes the file atomically (a temporary file renamed over it), creating its folder, and
// reads it back so further edits start from what is on disk. A link is followed, not replaced.
func (f *File) Save() error {
	data, err := f.Bytes()
	if err != nil {
		return err
	}
	target := f.Path
	if t, err := filepath.EvalSymlinks(target); err == nil {
		target = t
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving views: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".views-*.yaml")
	if err != nil {
		return fmt.Errorf("saving views: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(f.mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), target)
	}
	if err != nil {
		return fmt.Errorf("saving views to %s: %w", f.Path, err)
	}
	saved, err := Parse(f.Path, data)
	if err != nil {
		return fmt.Errorf("saving views: the written file does not read back: %w", err)
	}
	saved.mode = f.mode
	*f = *saved
	return nil
}

// Update loads the file at path, applies edit and saves the result: one read-modify-write.
func Update(path string, edit func(*File) error) error {
	f, err := Load(path)
	if err != nil {
		return err
	}
	if err := edit(f); err != nil {
		return err
	}
	return f.Save()
}
