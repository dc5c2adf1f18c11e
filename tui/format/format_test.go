package format

import (
	"testing"
	"time"
)

func TestHuman(t *testing.T) {
	cases := map[float64]string{
		0: "0", 7: "7", 950: "950", 84.1: "84.1", 3.14159: "3.14", 123.4: "123",
		1000: "1k", 1200: "1.2k", 48211: "48.2k", 512345: "512k", 999_960: "1M",
		3_400_000: "3.4M", 1.1e9: "1.1B", -1500: "-1.5k",
	}
	for in, want := range cases {
		if got := Human(in); got != want {
			t.Errorf("Human(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestTableNumbers(t *testing.T) {
	if got := Int(48211); got != "48,211" {
		t.Errorf("Int = %q", got)
	}
	if got := Int(-1234567); got != "-1,234,567" {
		t.Errorf("Int = %q", got)
	}
	if got := Float(84.1); got != "84.10" {
		t.Errorf("Float = %q", got)
	}
	if got := Float(12345.678); got != "12,345.68" {
		t.Errorf("Float = %q", got)
	}
	if got := Float(-0.5); got != "-0.50" {
		t.Errorf("Float = %q", got)
	}
}

func TestTime(t *testing.T) {
	ts := time.Date(2025, 5, 17, 13, 45, 0, 0, time.UTC)
	for unit, want := range map[string]string{"year": "2025", "quarter": "2025-Q2", "month": "2025-05",
		"day": "2025-05-17", "hour": "2025-05-17 13:00", "minute": "2025-05-17 13:45", "": "2025-05-17 13:45:00"} {
		if got := Time(ts, unit); got != want {
			t.Errorf("Time(%s) = %q, want %q", unit, got, want)
		}
	}
}
