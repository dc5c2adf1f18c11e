package xdg

// StateDir is dora's state folder (run records, quarantine files): $XDG_STATE_HOME/dora, else
// ~/.local/state/dora; "" when neither is known.
func StateDir() string { return doraDir("XDG_STATE_HOME", ".local", "state") }
