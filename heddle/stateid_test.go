package heddle

import (
	"bytes"
	"encoding/base32"
	"errors"
	"strings"
	"testing"
)

// crockfordViaStdlib encodes b with the standard library's RFC 4648 base32
// (the same big-endian 5-bit grouping heddle's base32 crate uses) and maps
// its alphabet onto Crockford's: an independent second implementation.
func crockfordViaStdlib(b []byte) string {
	std := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	const rfc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var out strings.Builder
	for _, c := range []byte(std) {
		out.WriteByte(crockfordAlphabet[strings.IndexByte(rfc, c)])
	}
	return out.String()
}

func idBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*37)
	}
	return b
}

func TestFormatID_MatchesAnIndependentEncoder(t *testing.T) {
	for _, tc := range []struct {
		id     []byte
		prefix string
		chars  int
	}{
		{idBytes(16, 1), "hd-", 26},
		{idBytes(16, 200), "hd-", 26},
		{make([]byte, 16), "hd-", 26},
		{bytes.Repeat([]byte{0xff}, 16), "hd-", 26},
		{idBytes(32, 7), "hs-", 52},
		{bytes.Repeat([]byte{0xff}, 32), "hs-", 52},
	} {
		got := FormatID(tc.id)
		want := tc.prefix + crockfordViaStdlib(tc.id)
		if got != want || len(got) != 3+tc.chars {
			t.Fatalf("FormatID(%x) = %q, want %q (%d characters after the prefix)", tc.id, got, want, tc.chars)
		}
		back, err := ParseID(got)
		if err != nil || !bytes.Equal(back, tc.id) {
			t.Fatalf("ParseID(%q) = %x, %v; want %x", got, back, err, tc.id)
		}
	}
}

func TestFormatID_KnownVectors(t *testing.T) {
	// All-zero and all-one ids pin the alphabet's ends and the padding.
	if got := FormatID(make([]byte, 16)); got != "hd-"+strings.Repeat("0", 26) {
		t.Fatalf("zero ChangeId = %q", got)
	}
	if got := FormatID(bytes.Repeat([]byte{0xff}, 32)); got != "hs-"+strings.Repeat("z", 51)+"g" {
		t.Fatalf("all-ones StateId = %q (the last character carries 1 bit and 4 zero padding bits)", got)
	}
	if got := FormatID([]byte{1, 2, 3}); got != "" {
		t.Fatalf("a 3-byte id has no printed form, got %q", got)
	}
}

func TestParseID(t *testing.T) {
	id := idBytes(16, 9)
	printed := FormatID(id)
	later := "hc-" + printed[3:]
	upper := strings.ToUpper(printed)
	// Crockford look-alikes: o for 0, i/l for 1.
	lookalike := strings.NewReplacer("0", "o", "1", "l").Replace(printed[3:])
	for _, s := range []string{printed, later, upper, "hd-" + lookalike} {
		got, err := ParseID(s)
		if err != nil || !bytes.Equal(got, id) {
			t.Fatalf("ParseID(%q) = %x, %v; want %x", s, got, err, id)
		}
	}
	state := FormatID(idBytes(32, 3))
	for name, bad := range map[string]string{
		"no prefix":          printed[3:],
		"unknown prefix":     "hx-" + printed[3:],
		"short":              printed[:len(printed)-1],
		"long":               printed + "0",
		"state id as hd-":    "hd-" + state[3:],
		"change id as hs-":   "hs-" + printed[3:],
		"u is not crockford": printed[:5] + "u" + printed[6:],
		"padding bits set":   printed[:len(printed)-1] + "1",
		"huge":               "hs-" + strings.Repeat("0", 5000),
		"empty":              "",
	} {
		if got, err := ParseID(bad); !errors.Is(err, ErrBadID) {
			t.Fatalf("%s: ParseID(%q) = %x, %v; want ErrBadID", name, bad, got, err)
		}
	}
}

func FuzzParseID(f *testing.F) {
	f.Add(FormatID(idBytes(16, 1)))
	f.Add(FormatID(idBytes(32, 1)))
	f.Add("hs-")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		// Every accepted id prints back to the same string, up to case,
		// look-alikes and the hd-/hc- spelling of a ChangeId.
		again, err := ParseID(FormatID(id))
		if err != nil || !bytes.Equal(again, id) {
			t.Fatalf("%q → %x does not round-trip: %x, %v", s, id, again, err)
		}
	})
}
