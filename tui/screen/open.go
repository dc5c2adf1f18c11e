package screen

// Open asks the shell to show a table in the explorer: switch to screen 1 and open Table
// on the backend at BackendURL ("" for the backend open now).
type Open struct{ BackendURL, Table string }
