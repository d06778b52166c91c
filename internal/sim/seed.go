// Package sim is heddle-sim's server: a heddle-compatible local daemon that
// serves the heddle.v1 services over deterministic, seeded in-memory data.
//
// This file holds the seed data. It is exported so that other packages' tests
// can compute the answers they expect instead of hard-coding them.
package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// BaseTimestamp is the timestamp of seq 0; operation seq s happens at
// BaseTimestamp + OpInterval*s (2026-01-01T00:00:00Z + s minutes).
const (
	BaseTimestamp int64 = 1767225600
	OpInterval    int64 = 60
)

// DefaultVerbs apply when a query has include_checkpoints=false and no verbs
// (heddle v0.2.0's defaults).
var DefaultVerbs = []string{
	"snapshot", "goto", "thread_create", "thread_delete", "thread_update", "fork",
	"collapse", "marker_create", "marker_delete", "transaction_abort",
	"ephemeral_thread_collapse", "conflict_resolved",
}

// AllVerbs is heddle's full operation verb vocabulary: the defaults plus the
// four that a default query hides.
var AllVerbs = append(append([]string(nil), DefaultVerbs...),
	"checkpoint", "transaction_commit", "redact", "purge")

// Actors, Threads and Symbols are the pools operations draw from.
var (
	Actors  = []string{"ada@example.com", "grace@example.com", "agent@example.com"}
	Threads = []string{"main", "feature/x", "feature/y", "fix/login"}
	Symbols = []string{
		"src/auth.rs::login", "src/auth.rs::logout", "src/db.rs::connect",
		"src/db.rs::migrate", "src/api.rs::handler", "src/api.rs::router",
		"src/main.rs::main", "tests/auth.rs::login_ok",
	}
)

// SignalKinds are heddle's signal kinds; each is also the module id of the
// producer that emits it, which is how signal health groups them.
var SignalKinds = []string{
	"novelty", "test_reachability", "pattern_deviation", "invariant_adjacency",
	"self_flagged_uncertainty",
}

// signalPercent is how often (in %) each kind fires on an operation. Novelty
// fires on most, so its module warns (fire rate > 0.5) and the others don't.
var signalPercent = map[string]uint64{
	"novelty": 70, "test_reachability": 30, "pattern_deviation": 20,
	"invariant_adjacency": 10, "self_flagged_uncertainty": 40,
}

// mix is splitmix64 over (seed, seq, salt). Every field of every operation
// is a pure function of these, so SeedOperations(seed, k) is a prefix of
// SeedOperations(seed, n) for k <= n and independent of the Go version.
func mix(seed int64, seq uint64, salt uint64) uint64 {
	z := uint64(seed)*0x9e3779b97f4a7c15 ^ seq*0xbf58476d1ce4e5b9 ^ salt*0x94d049bb133111eb
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SeedOperation returns the operation with sequence number seq (1-based).
func SeedOperation(seed int64, seq uint64) *heddlev1.OperationHit {
	op := &heddlev1.OperationHit{
		Seq:           seq,
		TimestampSecs: BaseTimestamp + OpInterval*int64(seq),
		// Cycle through the whole vocabulary, offset by the seed, so every
		// verb appears once per len(AllVerbs) operations.
		Verb:        AllVerbs[(seq-1+uint64(seed))%uint64(len(AllVerbs))],
		ActorEmail:  Actors[mix(seed, seq, 1)%uint64(len(Actors))],
		Thread:      Threads[mix(seed, seq, 2)%uint64(len(Threads))],
		OperationId: uuidFor(seed, seq),
		ChangeId:    changeIDFor(seed, seq),
	}
	// Zero to three distinct symbols, in pool order.
	n := mix(seed, seq, 3) % 4
	start := mix(seed, seq, 4) % uint64(len(Symbols))
	for i := uint64(0); i < n; i++ {
		op.Symbols = append(op.Symbols, Symbols[(start+i*3)%uint64(len(Symbols))])
	}
	for i, kind := range SignalKinds {
		if mix(seed, seq, 10+uint64(i))%100 < signalPercent[kind] {
			op.SignalKinds = append(op.SignalKinds, kind)
		}
	}
	return op
}

// SeedOperations returns operations 1..n in ascending seq order.
func SeedOperations(seed int64, n int) []*heddlev1.OperationHit {
	ops := make([]*heddlev1.OperationHit, 0, n)
	for seq := 1; seq <= n; seq++ {
		ops = append(ops, SeedOperation(seed, uint64(seq)))
	}
	return ops
}

// uuidFor formats 16 deterministic bytes as a version-4 style UUID.
func uuidFor(seed int64, seq uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], mix(seed, seq, 5))
	binary.BigEndian.PutUint64(b[8:], mix(seed, seq, 6))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// changeIDFor is the 16-byte state id a heddle v0.2.0 operation carries.
func changeIDFor(seed int64, seq uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[:8], mix(seed, seq, 7))
	binary.BigEndian.PutUint64(b[8:], mix(seed, seq, 8))
	return b
}
