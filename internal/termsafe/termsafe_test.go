package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"café ☕ 日本", "café ☕ 日本"},
		{"\x1b]52;c;aGFja2Vk\x07", `\x1b]52;c;aGFja2Vk\x07`},
		{"\x1b[2J\x1b[31m", `\x1b[2J\x1b[31m`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"\x00\x7f", `\x00\x7f`},
		{"\u009b31m", `\u009b31m`},         // C1 CSI as a character
		{"\x9b31m", `\x9b31m`},             // C1 CSI as a stray byte
		{"abc\u202edcba", `abc\u202edcba`}, // right-to-left override
		{"\u2066x\u2069\u200f\u061c", `\u2066x\u2069\u200f\u061c`},
		{"line\u2028sep", `line\u2028sep`},
		{"\xff\xfe", `\xff\xfe`},
		{`back\slash`, `back\slash`},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
		if Escaped(c.in) != (c.in != c.want) {
			t.Errorf("Escaped(%q) = %v", c.in, Escaped(c.in))
		}
	}
}

func TestText(t *testing.T) {
	in := "line 1\n\tline 2 \x1b[31mred\x1b[0m\r\n"
	want := "line 1\n\tline 2 \\x1b[31mred\\x1b[0m\\r\n"
	if got := Text(in); got != want {
		t.Errorf("Text(%q) = %q, want %q", in, got, want)
	}
}

func TestLog(t *testing.T) {
	cases := []struct{ in, want string }{
		{"\x1b[31mred\x1b[0m\n", "\x1b[31mred\x1b[0m\n"},
		{"\x1b[m\x1b[1;38;5;208mx", "\x1b[m\x1b[1;38;5;208mx"},
		{"\x1b[38:2::255:0:0mx", "\x1b[38:2::255:0:0mx"},
		{"\x1b[007m", "\x1b[7m"}, // written anew from its numbers
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"\x1b]52;c;aGFja2Vk\x07", `\x1b]52;c;aGFja2Vk\x07`},
		{"\x1b]0;title\x1b\\", `\x1b]0;title\x1b\`},
		{"\x1b[9999m", `\x1b[9999m`},
		{"\x1b[31", `\x1b[31`},
		{"\x1b[" + strings.Repeat("1;", 20) + "m", `\x1b[` + strings.Repeat("1;", 20) + "m"},
		{"crlf\r\nnext\rover", "crlf\nnext\\rover"},
		{"tab\there\u202e", "tab\there\\u202e"},
	}
	for _, c := range cases {
		if got := Log(c.in); got != c.want {
			t.Errorf("Log(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestIdempotent: escaping what is already escaped changes nothing, so render points can apply
// it without knowing whether a caller did.
func TestIdempotent(t *testing.T) {
	for _, s := range []string{"\x1b[31m\u202e\xff\t\n", "plain", "\x1b[1mbold\x1b[m"} {
		for name, f := range map[string]func(string) string{"String": String, "Text": Text, "Log": Log} {
			once := f(s)
			if twice := f(once); twice != once {
				t.Errorf("%s not idempotent on %q: %q then %q", name, s, once, twice)
			}
		}
	}
}

// FuzzString checks what must hold for any input: the one-line form has no control character,
// no bidi control and is valid UTF-8; the log form has no ESC other than at the start of a
// colour sequence; both are idempotent.
func FuzzString(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]52;c;aGFja2Vk\x07", "\x1b[2J\x1b[31m", "a\u202eb", "\x9b\xff", "\x1b[38;5;1mx\x1b[m\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		one := String(s)
		if !utf8.ValidString(one) {
			t.Fatalf("String(%q) = %q is not UTF-8", s, one)
		}
		for _, r := range one {
			if r < 0x20 || r == 0x7f || dangerous(r) {
				t.Fatalf("String(%q) = %q keeps %U", s, one, r)
			}
		}
		if String(one) != one || Text(Text(s)) != Text(s) || Log(Log(s)) != Log(s) {
			t.Fatalf("escaping %q twice changes it", s)
		}
		text := Text(s)
		for _, r := range text {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || dangerous(r) {
				t.Fatalf("Text(%q) = %q keeps %U", s, text, r)
			}
		}
		lg := Log(s)
		for i := 0; i < len(lg); i++ {
			c := lg[i]
			if c == 0x1b {
				n, _ := parseSGR(lg[i:])
				if n == 0 {
					t.Fatalf("Log(%q) = %q has an ESC that starts no colour sequence at %d", s, lg, i)
				}
				i += n - 1
				continue
			}
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				t.Fatalf("Log(%q) = %q keeps %#x", s, lg, c)
			}
		}
		if !utf8.ValidString(lg) {
			t.Fatalf("Log(%q) is not UTF-8", s)
		}
	})
}

// TestLogWriter: a log written a byte at a time comes out as the whole log escaped at once.
func TestLogWriter(t *testing.T) {
	in := "ok \x1b[1;31mred\x1b[0m café\r\n\x1b]52;c;aGFja2Vk\x07 \u202e end\r"
	var b strings.Builder
	w := NewLogWriter(&b)
	for i := 0; i < len(in); i++ {
		if _, err := w.Write([]byte{in[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := Log(in); b.String() != want {
		t.Errorf("byte by byte: %q, want %q", b.String(), want)
	}
}
