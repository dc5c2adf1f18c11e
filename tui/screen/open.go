package screen

// Open asks the shell to show a table in the explorer: switch to screen 1 and open Table
// on the backend at BackendURL ("" for the backend open now).
type Open struct{ BackendURL, Table string }

// Changed tells every screen that tables changed: a load or an ETL run published, a version was
// rolled back, or the backend's tables changed under the workbench (another process). Each
// screen reads again what it lists. Screens send it as a command's message; the shell hands it
// to all of them.
type Changed struct{ What string }

// BackendState tells every screen whether the workbench's backend answers: Err is why it does
// not, nil once it does again.
type BackendState struct{ Err error }
