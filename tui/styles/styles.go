// Package styles turns a Theme of semantic colour tokens into the lipgloss styles every TUI panel
// uses. Panels never pick colours themselves; they read their group of Styles.
package styles

import (
	"encoding/json"
	"fmt"
	"image/color"

	"charm.land/lipgloss/v2"

	"github.com/dora-dev/dora/assets/themes"
)

// Theme is a set of semantic colour tokens, loaded from assets/themes/NAME.json.
type Theme struct {
	Name        string   `json:"name"`
	Fg          string   `json:"fg"`
	Muted       string   `json:"muted"`
	Subtle      string   `json:"subtle"`
	Accent      string   `json:"accent"`
	Border      string   `json:"border"`
	BorderFocus string   `json:"borderFocus"`
	SelectedFg  string   `json:"selectedFg"`
	SelectedBg  string   `json:"selectedBg"`
	OK          string   `json:"ok"`
	Warn        string   `json:"warn"`
	Error       string   `json:"error"`
	Series      []string `json:"series"`
	Heat        []string `json:"heat"`
}

// LoadTheme reads a theme by name ("dark", "light").
func LoadTheme(name string) (Theme, error) {
	b, err := themes.FS.ReadFile(name + ".json")
	if err != nil {
		return Theme{}, fmt.Errorf("theme %q: %w", name, err)
	}
	var t Theme
	if err := json.Unmarshal(b, &t); err != nil {
		return Theme{}, fmt.Errorf("theme %q: %w", name, err)
	}
	return t, nil
}

// Styles is every style the TUI draws with, grouped by where it is used.
type Styles struct {
	NoColor bool // no colours: selection and series are told apart by glyphs and reverse video
	// Dark says the styles are for a dark background: what a drawing cached with them is keyed
	// by, since SetDark changes them in place.
	Dark bool

	Text   lipgloss.Style
	Muted  lipgloss.Style
	Accent lipgloss.Style
	Bold   lipgloss.Style

	Header struct {
		Title   lipgloss.Style
		Backend lipgloss.Style
		Hint    lipgloss.Style
		Tab     lipgloss.Style // a screen's tab in the shell's header
		TabOn   lipgloss.Style // the current screen's tab
	}
	Box struct {
		Border      lipgloss.Style
		BorderFocus lipgloss.Style
		Title       lipgloss.Style
		TitleFocus  lipgloss.Style
	}
	List struct {
		Item     lipgloss.Style
		Selected lipgloss.Style // the cursor row of the focused list
		Cursor   lipgloss.Style // the cursor row of an unfocused list
		Detail   lipgloss.Style
		Glyph    lipgloss.Style
	}
	Query struct {
		Keyword lipgloss.Style
		Text    lipgloss.Style
		Prompt  lipgloss.Style
	}
	Status struct {
		OK      lipgloss.Style
		Warn    lipgloss.Style
		Error   lipgloss.Style
		Info    lipgloss.Style
		Spinner lipgloss.Style
	}
	Help struct {
		Key  lipgloss.Style
		Desc lipgloss.Style
		Sep  lipgloss.Style
	}
	Table struct {
		Header   lipgloss.Style
		HeaderOn lipgloss.Style // the column the cursor is on
		Cell     lipgloss.Style
		Selected lipgloss.Style
		Null     lipgloss.Style
	}
	Chart struct {
		Axis   lipgloss.Style
		Label  lipgloss.Style
		Value  lipgloss.Style
		Title  lipgloss.Style
		Series []lipgloss.Style
		Heat   []color.Color
	}
}

// Series returns the style of the i-th chart series, cycling through the palette.
func (s *Styles) Series(i int) lipgloss.Style {
	if len(s.Chart.Series) == 0 {
		return lipgloss.NewStyle()
	}
	return s.Chart.Series[i%len(s.Chart.Series)]
}

// New builds Styles from a theme. With noColor set, no colour is used at all (NO_COLOR).
func New(t Theme, noColor bool) *Styles {
	c := func(hex string) color.Color {
		if noColor || hex == "" {
			return lipgloss.NoColor{}
		}
		return lipgloss.Color(hex)
	}
	fg := func(hex string) lipgloss.Style { return lipgloss.NewStyle().Foreground(c(hex)) }
	s := &Styles{NoColor: noColor}
	s.Text = fg(t.Fg)
	s.Muted = fg(t.Muted)
	s.Accent = fg(t.Accent).Bold(true)
	s.Bold = fg(t.Fg).Bold(true)

	s.Header.Title = fg(t.Accent).Bold(true)
	s.Header.Backend = fg(t.Muted)
	s.Header.Hint = fg(t.Muted)
	s.Header.Tab = fg(t.Muted)
	s.Header.TabOn = lipgloss.NewStyle().Foreground(c(t.SelectedFg)).Background(c(t.SelectedBg)).Bold(true)

	s.Box.Border = fg(t.Border)
	s.Box.BorderFocus = fg(t.BorderFocus)
	s.Box.Title = fg(t.Muted)
	s.Box.TitleFocus = fg(t.Accent).Bold(true)

	s.List.Item = fg(t.Fg)
	s.List.Detail = fg(t.Muted)
	s.List.Glyph = fg(t.Accent)
	s.List.Selected = lipgloss.NewStyle().Foreground(c(t.SelectedFg)).Background(c(t.SelectedBg))
	s.List.Cursor = fg(t.Accent).Bold(true)

	s.Query.Keyword = fg(t.Accent).Bold(true)
	s.Query.Text = fg(t.Fg)
	s.Query.Prompt = fg(t.Accent).Bold(true)

	s.Status.OK = fg(t.OK)
	s.Status.Warn = fg(t.Warn)
	s.Status.Error = fg(t.Error).Bold(true)
	s.Status.Info = fg(t.Fg)
	s.Status.Spinner = fg(t.Accent)

	s.Help.Key = fg(t.Accent)
	s.Help.Desc = fg(t.Muted)
	s.Help.Sep = fg(t.Subtle)

	s.Table.Header = fg(t.Muted).Bold(true)
	s.Table.HeaderOn = fg(t.Accent).Bold(true).Underline(true)
	s.Table.Cell = fg(t.Fg)
	s.Table.Selected = s.List.Selected
	s.Table.Null = fg(t.Subtle)

	s.Chart.Axis = fg(t.Subtle)
	s.Chart.Label = fg(t.Fg)
	s.Chart.Value = fg(t.Muted)
	s.Chart.Title = fg(t.Muted)
	for _, h := range t.Series {
		s.Chart.Series = append(s.Chart.Series, fg(h))
	}
	if len(s.Chart.Series) == 0 {
		s.Chart.Series = []lipgloss.Style{lipgloss.NewStyle()}
	}
	for _, h := range t.Heat {
		s.Chart.Heat = append(s.Chart.Heat, c(h))
	}
	if noColor {
		// Reverse video is the one highlight every terminal shows without colour.
		s.List.Selected = lipgloss.NewStyle().Reverse(true)
		s.Table.Selected = lipgloss.NewStyle().Reverse(true)
		s.Header.TabOn = lipgloss.NewStyle().Reverse(true).Bold(true)
		s.Chart.Heat = nil
	}
	return s
}

// Default returns the dark or light theme's styles; it never fails because the themes are
// embedded.
func Default(dark, noColor bool) *Styles {
	return load(dark, noColor)
}

// SetDark rebuilds s in place for a dark or a light background, keeping its NoColor: the one
// place a background-colour answer changes the styles, seen at once by everything that holds s
// (the workbench's screens share one).
func (s *Styles) SetDark(dark bool) { *s = *load(dark, s.NoColor) }

// load builds the styles of the default theme for the background.
func load(dark, noColor bool) *Styles {
	name := "dark"
	if !dark {
		name = "light"
	}
	t, err := LoadTheme(name)
	if err != nil {
		t = Theme{Name: name}
	}
	s := New(t, noColor)
	s.Dark = dark
	return s
}
