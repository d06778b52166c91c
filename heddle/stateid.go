package heddle

import (
	"errors"
	"fmt"
	"strings"
)

// State ids as heddle prints them: a prefix, then the id's bytes in
// Crockford base32 (big-endian 5-bit groups, the last group padded with zero
// bits, no '=' padding), lowercase. Releases up to v0.10.1 identify states by
// a 16-byte ChangeId printed "hd-" + 26 characters; from v0.10.3 by a
// 32-byte StateId printed "hs-" + 52 characters. Later releases print a
// ChangeId, where one still appears, as "hc-" (the same 16 bytes).
const (
	ChangeIDPrefix      = "hd-" // ChangeId, heddle ≤ v0.10.1
	LaterChangeIDPrefix = "hc-" // ChangeId, later heddle
	StateIDPrefix       = "hs-" // StateId, heddle ≥ v0.10.3
	ChangeIDLen         = 16    // bytes; 26 characters printed
	StateIDLen          = 32    // bytes; 52 characters printed
	crockfordAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz"
	maxPrintedIDLen     = 3 + (StateIDLen*8+4)/5
)

// ErrBadID means a string is not a state id as heddle prints it.
var ErrBadID = errors.New("not a heddle state id")

// FormatID prints id the way heddle does: 16 bytes as a ChangeId ("hd-…",
// the form of every release whose daemon sends such ids), 32 bytes as a
// StateId ("hs-…"). Any other length has no printed form: "".
func FormatID(id []byte) string {
	switch len(id) {
	case ChangeIDLen:
		return ChangeIDPrefix + encodeCrockford(id)
	case StateIDLen:
		return StateIDPrefix + encodeCrockford(id)
	}
	return ""
}

// ParseID decodes a full printed id ("hd-"/"hc-" + 26 characters, or "hs-" +
// 52) to its bytes. Case does not matter and Crockford's look-alikes are
// accepted (i and l read as 1, o as 0), as heddle's decoder does; the
// encoding must be canonical (the padding bits zero), as heddle prints it.
func ParseID(s string) ([]byte, error) {
	if len(s) > maxPrintedIDLen {
		return nil, fmt.Errorf("%w: %d bytes long", ErrBadID, len(s))
	}
	lower := strings.ToLower(s)
	var body string
	var size int
	switch {
	case strings.HasPrefix(lower, ChangeIDPrefix), strings.HasPrefix(lower, LaterChangeIDPrefix):
		body, size = lower[3:], ChangeIDLen
	case strings.HasPrefix(lower, StateIDPrefix):
		body, size = lower[3:], StateIDLen
	default:
		return nil, fmt.Errorf("%w: %q has no hd-, hc- or hs- prefix", ErrBadID, s)
	}
	if want := (size*8 + 4) / 5; len(body) != want {
		return nil, fmt.Errorf("%w: %q has %d characters after the prefix, want %d", ErrBadID, s, len(body), want)
	}
	id, err := decodeCrockford(body, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadID, s, err)
	}
	return id, nil
}

func encodeCrockford(b []byte) string {
	out := make([]byte, 0, (len(b)*8+4)/5)
	var acc uint32 // bits not yet written, right-aligned
	var bits uint
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, crockfordAlphabet[acc>>bits&31])
		}
	}
	if bits > 0 {
		out = append(out, crockfordAlphabet[acc<<(5-bits)&31])
	}
	return string(out)
}

// decodeCrockford decodes lowercase s into exactly size bytes.
func decodeCrockford(s string, size int) ([]byte, error) {
	out := make([]byte, 0, size)
	var acc uint32
	var bits uint
	for i := 0; i < len(s); i++ {
		v, ok := crockfordValue(s[i])
		if !ok {
			return nil, fmt.Errorf("character %q is not Crockford base32", s[i])
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if acc&(1<<bits-1) != 0 {
		return nil, errors.New("non-zero padding bits")
	}
	if len(out) != size {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(out), size)
	}
	return out, nil
}

// crockfordValues maps a lowercase character to its value plus one (0 =
// not in the alphabet), look-alikes included: a CLI query decodes
// thousands of characters, one table lookup each.
var crockfordValues = func() (t [256]byte) {
	for i := range len(crockfordAlphabet) {
		t[crockfordAlphabet[i]] = byte(i) + 1
	}
	t['o'], t['i'], t['l'] = 1, 2, 2
	return t
}()

func crockfordValue(c byte) (byte, bool) {
	v := crockfordValues[c]
	return v - 1, v != 0
}
