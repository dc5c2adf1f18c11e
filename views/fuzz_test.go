package views

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: any views file gives views or an error that names the file; views read are found
// again by name.
func FuzzParse(f *testing.F) {
	if golden, err := os.ReadFile("testdata/edit.yaml"); err == nil {
		f.Add(golden)
	}
	for _, s := range []string{"", "views: [", "&a [*a]", "- 1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		if file == nil {
			t.Fatal("no views and no error")
		}
	})
}
