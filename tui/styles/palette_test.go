package styles

import (
	"math"
	"strconv"
	"testing"
)

// lab converts an sRGB colour "#rrggbb" to CIELAB (D65), where distance approximates how
// different two colours look.
func lab(t *testing.T, hex string) [3]float64 {
	t.Helper()
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("colour %q", hex)
	}
	lin := func(c uint64) float64 {
		x := float64(c) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	r, g, b := lin(v>>16&0xff), lin(v>>8&0xff), lin(v&0xff)
	x := (0.4124*r + 0.3576*g + 0.1805*b) / 0.95047
	y := 0.2126*r + 0.7152*g + 0.0722*b
	z := (0.0193*r + 0.1192*g + 0.9505*b) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
}

// TestSeriesColoursAreDistinguishable: the first eight series colours of each theme (a chart
// draws at most eight, the rest fold into Other) are at least ΔE*ab 20 apart. The old dark
// palette had #88C0D0 and #8FBCBB (ΔE about 5): South and Northeast looked the same.
func TestSeriesColoursAreDistinguishable(t *testing.T) {
	for _, name := range []string{"dark", "light"} {
		th, err := LoadTheme(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Series) < 8 {
			t.Fatalf("theme %s has %d series colours, want 8", name, len(th.Series))
		}
		cols := th.Series[:8]
		for i := range cols {
			for j := i + 1; j < len(cols); j++ {
				a, b := lab(t, cols[i]), lab(t, cols[j])
				d := math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
				if d < 20 {
					t.Errorf("theme %s: series %d %s and %d %s are ΔE %.1f apart", name, i, cols[i], j, cols[j], d)
				}
			}
		}
	}
}
