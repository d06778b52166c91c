package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc…"},
		{"ééé", 3, "é…"}, // byte 3 is inside the second é
		{"€", 1, "…"},
	} {
		if got := String(tc.in, tc.n); got != tc.want {
			t.Errorf("String(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	long := strings.Repeat("日本語", 100)
	for n := range 30 {
		if got := String(long, n); !utf8.ValidString(got) {
			t.Fatalf("String(…, %d) = %q is not valid UTF-8", n, got)
		}
	}
}
