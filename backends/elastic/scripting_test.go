package elastic

import "testing"

// TestHasPainless reads the nodes API's answers: scripting only when every node has
// lang-painless (as a module or, on some builds, a plugin).
func TestHasPainless(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"nodes":{"a":{"modules":[{"name":"transport-netty4"}]}}}`, false},
		{`{"nodes":{"a":{"modules":[{"name":"lang-painless"},{"name":"lang-expression"}]}}}`, true},
		{`{"nodes":{"a":{"modules":[{"name":"lang-painless"}]},"b":{"modules":[{"name":"x-pack-core"}]}}}`, false},
		{`{"nodes":{"a":{"modules":[],"plugins":[{"name":"lang-painless"}]}}}`, true},
		{`{"nodes":{}}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := hasPainless([]byte(tt.body)); got != tt.want {
			t.Errorf("hasPainless(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}
