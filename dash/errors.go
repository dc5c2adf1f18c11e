package dash

import "github.com/dora-dev/dora/internal/yamlfile"

// Error is one problem in a dashboard file, at a line and column, as a compiler reports it.
type Error = yamlfile.Error

// Errors is every problem found in one file, in the order of the file.
type Errors = yamlfile.Errors
