// Package xdg finds dora's per-user folders as the XDG Base Directory specification says.
package xdg

import (
	"os"
	"path/filepath"
)

// ConfigDir is dora's config folder: $XDG_CONFIG_HOME/dora, else ~/.config/dora; "" when neither
// is known.
func ConfigDir() string { return doraDir("XDG_CONFIG_HOME", ".config") }

// DataDir is dora's data folder: $XDG_DATA_HOME/dora, else ~/.local/share/dora; "" when neither
// is known.
func DataDir() string { return doraDir("XDG_DATA_HOME", ".local", "share") }

// doraDir is $env/dora, else the home folder's fallback/dora.
func doraDir(env string, fallback ...string) string {
	dir := os.Getenv(env)
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(append([]string{home}, fallback...)...)
	}
	return filepath.Join(dir, "dora")
}
