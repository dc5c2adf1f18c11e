package tui

import (
	"github.com/dora-dev/dora/tui/dashscreen"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/jobscreen"
	"github.com/dora-dev/dora/tui/loads"
	"github.com/dora-dev/dora/tui/screen"
)

// screens is the shell's tabs in order, 1 first: adding a screen is one line here.
var screens = []func(e *Env) screen.Screen{
	func(e *Env) screen.Screen {
		return explorer.NewScreen(explorer.New(e.Ctx, e.Backend, e.Explorer, e.NoColor))
	},
	func(e *Env) screen.Screen { return loads.New(e.Ctx, e.Backend, e.Styles, e.Loads) },
	func(e *Env) screen.Screen { return etlscreen.New(e.Ctx, e.Styles, e.ETL) },
	func(e *Env) screen.Screen { return jobscreen.New(e.Ctx, e.Styles, e.Jobs) },
	newDashboard,
}

// newDashboard is the dashboard the options name as a screen, or a hint when there is none.
func newDashboard(e *Env) screen.Screen {
	if e.Dashboard == nil {
		return screen.NewPlaceholder(e.Styles, "Dashboards", "No dashboard is open: dora dash FILE.yaml opens one "+
			"(dora dash alone opens the demo warehouse's).")
	}
	opts := e.Dash
	opts.NoColor, opts.Shell = e.NoColor, true
	return dashscreen.NewScreen(dashscreen.New(e.Ctx, e.DashRunner, e.Dashboard, opts))
}
