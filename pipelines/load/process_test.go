package load

import (
	"strings"
	"testing"
)

func TestIsLocalServer(t *testing.T) {
	for url, want := range map[string]bool{
		"http://127.0.0.1:9200":           true,
		"http://localhost:9200":           true,
		"https://[::1]:9200":              true,
		"http://user:secret@127.0.0.2:92": true,
		"http://10.0.0.5:9200":            false,
		"https://search.example.com":      false,
		"duckdb:/tmp/x.duckdb":            false,
		"duckdb:":                         false,
	} {
		if got := isLocalServer(url); got != want {
			t.Errorf("isLocalServer(%q) = %v, want %v", url, got, want)
		}
	}
}

func TestLoadNiceSetting(t *testing.T) {
	for _, v := range []string{"x", "-1", "20"} {
		t.Setenv("DORA_LOAD_NICE", v)
		err := YieldToLocalServer("http://127.0.0.1:9200")
		if err == nil || !strings.Contains(err.Error(), "DORA_LOAD_NICE") {
			t.Errorf("DORA_LOAD_NICE=%s: err = %v, want one naming the setting", v, err)
		}
	}
	t.Setenv("DORA_LOAD_NICE", "0")
	if err := YieldToLocalServer("http://127.0.0.1:9200"); err != nil {
		t.Errorf("DORA_LOAD_NICE=0: %v", err)
	}
}
