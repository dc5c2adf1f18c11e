// Package dashboards holds the example dashboards dora ships: Demo is the demo warehouse's,
// which `dora dash` opens when no file is given.
package dashboards

import _ "embed"

// DemoName is the demo dashboard's file name, as errors name it.
const DemoName = "shipments.yaml"

// Demo is the demo warehouse's dashboard file.
//
//go:embed shipments.yaml
var Demo []byte
