package mailbox

import (
	"sync"
	"testing"
	"time"
)

func TestBox_KeepsOrderAndWakes(t *testing.T) {
	b := New[int]()
	const n = 1000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			b.Put(i)
		}
	}()
	var got []int
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case <-b.Wake():
			got = append(got, b.Take()...)
		case <-deadline:
			t.Fatalf("took %d of %d", len(got), n)
		}
	}
	wg.Wait()
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d is %d: order lost", i, v)
		}
	}
	if rest := b.Take(); len(rest) != 0 {
		t.Fatalf("%d items left", len(rest))
	}
}
