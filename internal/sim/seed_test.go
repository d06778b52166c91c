package sim

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSeedOperations_Shape(t *testing.T) {
	ops := SeedOperations(1, 120)
	if len(ops) != 120 {
		t.Fatalf("%d ops, want 120", len(ops))
	}
	verbs := map[string]bool{}
	ids := map[string]bool{}
	for i, op := range ops {
		if op.GetSeq() != uint64(i+1) {
			t.Fatalf("op %d has seq %d", i, op.GetSeq())
		}
		if i > 0 && op.GetTimestampSecs() <= ops[i-1].GetTimestampSecs() {
			t.Fatalf("timestamps not strictly increasing at seq %d", op.GetSeq())
		}
		if !uuidRE.MatchString(op.GetOperationId()) || ids[op.GetOperationId()] {
			t.Errorf("seq %d: operation id %q is not a fresh UUID", op.GetSeq(), op.GetOperationId())
		}
		ids[op.GetOperationId()] = true
		if len(op.GetChangeId()) != 16 {
			t.Errorf("seq %d: change id has %d bytes", op.GetSeq(), len(op.GetChangeId()))
		}
		if !slices.Contains(Actors, op.GetActorEmail()) || !slices.Contains(Threads, op.GetThread()) {
			t.Errorf("seq %d: actor %q thread %q outside the pools", op.GetSeq(), op.GetActorEmail(), op.GetThread())
		}
		for _, k := range op.GetSignalKinds() {
			if !slices.Contains(SignalKinds, k) {
				t.Errorf("seq %d: unknown signal kind %q", op.GetSeq(), k)
			}
		}
		verbs[op.GetVerb()] = true
	}
	for _, v := range AllVerbs {
		if !verbs[v] {
			t.Errorf("verb %q never appears", v)
		}
	}
	if got := time.Unix(ops[0].GetTimestampSecs(), 0).UTC(); got.Year() != 2026 {
		t.Errorf("first op at %s, want 2026", got)
	}
}

func TestSeedOperations_DeterministicAndPrefixStable(t *testing.T) {
	a, b := SeedOperations(5, 50), SeedOperations(5, 80)
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			t.Fatalf("seq %d differs between n=50 and n=80", i+1)
		}
	}
	c := SeedOperations(6, 50)
	same := 0
	for i := range a {
		if a[i].GetOperationId() == c[i].GetOperationId() {
			same++
		}
	}
	if same != 0 {
		t.Errorf("seeds 5 and 6 share %d operation ids", same)
	}
}

func TestSeedOperations_DefaultLogHasAWarningModule(t *testing.T) {
	report := SignalHealth(SeedOperations(1, 120), 0)
	var warned []string
	for _, e := range report.GetEntries() {
		if e.GetWarn() {
			warned = append(warned, e.GetModuleId())
		}
	}
	if !slices.Equal(warned, []string{"novelty"}) {
		t.Errorf("warning modules = %v, want [novelty] (editors show a warning for it)", warned)
	}
}
