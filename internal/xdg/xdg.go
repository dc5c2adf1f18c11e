// Package xdg finds dora's per-user folders as the XDG Base Directory specification says.
package xdg

import (
	"os"
	"path/filepath"
)

// ConfigDir is dora's config folder: $XDG_CONFIG_HOME/dora, else ~/.config/dora; "" when neither
// is known.
func ConfigDir() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "dora")
}
