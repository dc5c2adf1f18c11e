// Package common holds what every TUI screen and panel is handed instead of globals: the context,
// the open backend, the styles, a logger, the dashboard runner and the size, plus the width
// arithmetic they all share.
package common

import (
	"context"
	"io"
	"log"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/tui/styles"
)

// Common travels to every screen and panel constructor. The shell builds one for the workbench
// and hands the same one to every screen's New(c, opts); a screen that changes a field for itself
// (the explorer opening another backend, or sizing its panels) copies it first. Styles stays
// shared through the copy: the shell rebuilds it in place when the terminal says its background
// (Styles.SetDark), and everything that reads it at draw time follows.
type Common struct {
	Ctx     context.Context  // cancelled when the TUI quits; queries derive theirs from it
	Backend backends.Backend // the workbench's session: every screen shares it
	Styles  *styles.Styles
	Logger  *log.Logger
	// Dash runs dashboard panels over Backend; nil where no screen shows a dashboard.
	Dash *dash.Runner
	// Width and Height are the area of the screen or panel holding this copy.
	Width  int
	Height int
}

// New is a Common on b: dark styles until the terminal says otherwise (without colours when
// noColor), a logger that discards, and no dashboard runner.
func New(ctx context.Context, b backends.Backend, noColor bool) *Common {
	return &Common{Ctx: ctx, Backend: b, Styles: styles.Default(true, noColor), Logger: log.New(io.Discard, "", 0)}
}

// Component is what the root model asks of every panel.
type Component interface {
	SetSize(w, h int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// TooSmall is what to draw instead of a screen of w x h cells that is gone (quitting, or not
// sized yet) or too small to lay out, and whether it is either.
func TooSmall(w, h int, quitting bool) (string, bool) {
	if w <= 0 || h <= 0 || quitting {
		return "", true
	}
	if w < 20 || h < 8 {
		return Block("dora needs at least 20x8", w, h), true
	}
	return "", false
}

// Fit truncates s to width cells (with an ellipsis) and pads it with spaces to exactly width.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := Width(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// FitLeft truncates s from the left and right-aligns it in width cells.
func FitLeft(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := Width(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return strings.Repeat(" ", width-w) + s
}

// Truncate shortens s to at most width cells with an ellipsis, without padding.
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if Width(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// Block fits text into exactly w x h cells: long lines are cut, missing lines are blank.
func Block(text string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(text, "\n")
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = Fit(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return strings.Join(out, "\n")
}

// Box draws content in a rounded frame of exactly w x h cells with the title set into the top
// border, like "╭ tables ─────╮". The content is fitted to the inner size.
func Box(s *styles.Styles, title, content string, w, h int, focused bool) string {
	if w < 2 || h < 2 {
		return Block("", max(0, w), max(0, h))
	}
	border, titleStyle := s.Box.Border, s.Box.Title
	if focused {
		border, titleStyle = s.Box.BorderFocus, s.Box.TitleFocus
	}
	b := lipgloss.RoundedBorder()
	innerW, innerH := w-2, h-2
	var top string
	if title != "" && innerW >= 4 {
		t := " " + Truncate(title, innerW-3) + " "
		fill := max(0, innerW-1-Width(t))
		top = border.Render(b.TopLeft+b.Top) + titleStyle.Render(t) + border.Render(strings.Repeat(b.Top, fill)+b.TopRight)
	} else {
		top = border.Render(b.TopLeft + strings.Repeat(b.Top, innerW) + b.TopRight)
	}
	var sb strings.Builder
	sb.WriteString(top)
	left, right := border.Render(b.Left), border.Render(b.Right)
	for _, line := range strings.Split(Block(content, innerW, innerH), "\n") {
		if innerH == 0 {
			break
		}
		sb.WriteString("\n")
		sb.WriteString(left)
		sb.WriteString(line)
		sb.WriteString(right)
	}
	sb.WriteString("\n")
	sb.WriteString(border.Render(b.BottomLeft + strings.Repeat(b.Bottom, innerW) + b.BottomRight))
	return sb.String()
}
