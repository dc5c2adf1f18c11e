// Package themes holds dora's colour themes as JSON files: semantic colour tokens that the TUI's
// styles package turns into styles.
package themes

import "embed"

// FS holds the theme files, one NAME.json per theme.
//
//go:embed *.json
var FS embed.FS
