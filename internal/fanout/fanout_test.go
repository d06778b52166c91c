package fanout

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/record"
)

// counter is a source that publishes 1, 2, 3… on every Changed and greets
// newcomers with the current value; it counts how many sources ran.
type counter struct {
	started atomic.Int64
	stopped atomic.Int64
	srcs    chan *Source[int]
}

func (c *counter) run(key string, src *Source[int]) {
	c.started.Add(1)
	defer c.stopped.Add(1)
	c.srcs <- src
	src.Ready()
	n := 0
	for {
		src.Greet(n)
		select {
		case <-src.Wake():
			if src.TakeChanged() {
				n++
				src.Publish(n)
			}
		case <-src.Done():
			return
		}
	}
}

func newCounter() *counter { return &counter{srcs: make(chan *Source[int], 16)} }

// got collects the values a subscriber sees.
type got struct{ *record.Recorder[int] }

func newGot() *got { return &got{record.New[int]()} }

func (g *got) add(v int) { g.Add(v) }

// waitLast waits for want (values only grow) and returns all seen so far.
func (g *got) waitLast(t *testing.T, want int) []int {
	t.Helper()
	g.Wait(t, 0, 10*time.Second, fmt.Sprint(want), func(v int) bool { return v == want })
	return g.All()
}

func TestSet_SharedSourceInOrderAndGreeted(t *testing.T) {
	c := newCounter()
	s := New(c.run)
	defer s.Close()
	a, b := newGot(), newGot()
	stopA := s.Subscribe("k", a.add)
	a.waitLast(t, 0)
	src := <-c.srcs
	src.Changed()
	a.waitLast(t, 1)
	stopB := s.Subscribe("k", b.add) // joins a running source
	b.waitLast(t, 1)                 // greeted with the current value
	src.Changed()
	if got := a.waitLast(t, 2); !equal(got, []int{0, 1, 2}) {
		t.Fatalf("first subscriber saw %v, want [0 1 2]", got)
	}
	if got := b.waitLast(t, 2); !equal(got, []int{1, 2}) {
		t.Fatalf("second subscriber saw %v, want [1 2]", got)
	}
	if n := c.started.Load(); n != 1 {
		t.Fatalf("%d sources ran for one key, want 1", n)
	}
	stopA()
	stopA() // idempotent
	if c.stopped.Load() != 0 {
		t.Fatal("the source stopped while a subscriber remained")
	}
	stopB()
	s.Close()
	if c.stopped.Load() != 1 {
		t.Fatalf("stopped %d sources, want 1", c.stopped.Load())
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// After stop returns, the subscriber is never called, even when a delivery
// was in progress while stop was called.
func TestSet_NoCallAfterStop(t *testing.T) {
	c := newCounter()
	s := New(c.run)
	defer s.Close()
	var after atomic.Int64
	var stopped atomic.Bool
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	stop := s.Subscribe("k", func(v int) {
		if stopped.Load() {
			after.Add(1)
		}
		if v == 1 {
			entered <- struct{}{}
			<-release // hold the delivery while stop is called
		}
	})
	keep := newGot() // keeps the source running, and shows its progress
	defer s.Subscribe("k", keep.add)()
	src := <-c.srcs
	src.Changed()
	<-entered
	done := make(chan struct{})
	go func() { stop(); stopped.Store(true); close(done) }()
	select {
	case <-done:
		t.Fatal("stop returned while a call was in progress")
	case <-time.After(20 * time.Millisecond): // the wait is what is tested
	}
	close(release)
	<-done
	for want := 2; want <= 5; want++ {
		src.Changed()
		keep.waitLast(t, want)
	}
	if n := after.Load(); n != 0 {
		t.Fatalf("%d calls after stop returned", n)
	}
}

// Subscribe returns once the source is ready, not before.
func TestSet_SubscribeWaitsForReady(t *testing.T) {
	release := make(chan struct{})
	s := New(func(key string, src *Source[int]) {
		<-release
		src.Ready()
		<-src.Done()
	})
	defer s.Close()
	returned := make(chan struct{})
	go func() { s.Subscribe("k", func(int) {}); close(returned) }()
	select {
	case <-returned:
		t.Fatal("Subscribe returned before the source was ready")
	case <-time.After(20 * time.Millisecond): // the wait is what is tested
	}
	close(release)
	<-returned
}

func TestSet_CloseStopsEverything(t *testing.T) {
	c := newCounter()
	s := New(c.run)
	for _, k := range []string{"a", "b", "c"} {
		s.Subscribe(k, func(int) {})
	}
	s.Close()
	if c.started.Load() != 3 || c.stopped.Load() != 3 {
		t.Fatalf("started %d, stopped %d sources, want 3 and 3", c.started.Load(), c.stopped.Load())
	}
	called := false
	s.Subscribe("d", func(int) { called = true })()
	if called || c.started.Load() != 3 {
		t.Fatal("a closed Set started a source")
	}
}
