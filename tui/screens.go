package tui

import (
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/dashscreen"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/jobscreen"
	"github.com/dora-dev/dora/tui/loads"
	"github.com/dora-dev/dora/tui/screen"
)

// Options say what the screens show first, a field for each, and how the shell draws them.
type Options struct {
	Explorer explorer.Options
	Loads    loads.Options
	ETL      etlscreen.Options
	Jobs     jobscreen.Options
	// Dash is the Dashboards screen's; with no Dashboard it says how to open one.
	Dash dashscreen.Options
	// Screen is the screen to open on, from 1; 1 when 0.
	Screen int
	// NoColor draws without colour (NO_COLOR is honoured as well).
	NoColor bool
	// Wall draws only the current screen, without the header and the help bar, and the
	// dashboard without its own header: a wall screen.
	Wall bool
}

// screens is the shell's tabs in order, 1 first. Every screen is built the same way, from the
// shell's Common and its field of Options: adding a screen is a line here and a field above.
var screens = []func(c *common.Common, o *Options) screen.Screen{
	func(c *common.Common, o *Options) screen.Screen { return explorer.New(c, o.Explorer) },
	func(c *common.Common, o *Options) screen.Screen { return loads.New(c, o.Loads) },
	func(c *common.Common, o *Options) screen.Screen { return etlscreen.New(c, o.ETL) },
	func(c *common.Common, o *Options) screen.Screen { return jobscreen.New(c, o.Jobs) },
	func(c *common.Common, o *Options) screen.Screen {
		d := o.Dash
		d.Wall = d.Wall || o.Wall
		return dashscreen.New(c, d)
	},
}
