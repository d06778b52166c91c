// Package clip shortens untrusted or long text for one-line messages and
// logs, never splitting a UTF-8 sequence.
package clip

import "unicode/utf8"

// String returns s cut to at most n bytes (plus "…" when it was cut), at
// a rune boundary.
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
