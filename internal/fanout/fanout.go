// Package fanout shares one live source per key among its subscribers:
// every workspace folder of a repository asks for the same mount-daemon
// status and the same oplog, and they must cost one watch, one goroutine and
// one read per change, not one per folder. A source's own goroutine computes
// its values and hands each to every subscriber in order, one at a time.
package fanout

import (
	"context"
	"sync"
	"sync/atomic"
)

// Set holds the running sources, one per key, counting subscribers: a
// source starts with its first subscriber and stops with its last. Safe for
// concurrent use.
type Set[T any] struct {
	run func(key string, src *Source[T])

	mu      sync.Mutex
	sources map[string]*Source[T]
	closed  bool
	wg      sync.WaitGroup // the sources' goroutines
}

// New makes a Set whose sources run run(key, src) on their own goroutine;
// run must return soon after src.Done() is closed.
func New[T any](run func(key string, src *Source[T])) *Set[T] {
	return &Set[T]{run: run, sources: map[string]*Source[T]{}}
}

// Subscribe adds fn to key's source, starting the source for the first
// subscriber, and returns once the source is ready (see Source.Ready). fn
// is called only from the source's goroutine, so calls come in order and
// never overlap; it must not block, and it must not call stop. After stop
// returns, fn is not called again. On a closed Set, Subscribe does nothing.
func (s *Set[T]) Subscribe(key string, fn func(T)) (stop func()) {
	sub := &subscriber[T]{fn: fn}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return func() {}
	}
	src := s.sources[key]
	if src == nil {
		src = &Source[T]{wake: make(chan struct{}, 1), ready: make(chan struct{})}
		src.ctx, src.cancel = context.WithCancel(context.Background())
		s.sources[key] = src
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer src.Ready()
			s.run(key, src)
		}()
	}
	src.mu.Lock()
	src.subs = append(src.subs, sub)
	src.mu.Unlock()
	s.mu.Unlock()
	src.poke() // so the source can greet the newcomer
	<-src.ready
	var once sync.Once
	return func() { once.Do(func() { s.unsubscribe(key, src, sub) }) }
}

func (s *Set[T]) unsubscribe(key string, src *Source[T], sub *subscriber[T]) {
	sub.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	src.mu.Lock()
	for i, o := range src.subs {
		if o == sub {
			src.subs = append(src.subs[:i], src.subs[i+1:]...)
			break
		}
	}
	last := len(src.subs) == 0
	src.mu.Unlock()
	if last && s.sources[key] == src {
		delete(s.sources, key)
		src.cancel()
	}
}

// Close stops every source and waits for their goroutines: no subscriber
// is called after it returns.
func (s *Set[T]) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for key, src := range s.sources {
			delete(s.sources, key)
			src.cancel()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Source is one key's live source, as its run function sees it.
type Source[T any] struct {
	wake      chan struct{}   // capacity 1: a pending wake-up
	ctx       context.Context // cancelled when the last subscriber leaves
	cancel    context.CancelFunc
	ready     chan struct{} // closed by Ready
	readyOnce sync.Once
	changed   atomic.Bool

	mu   sync.Mutex
	subs []*subscriber[T]
}

// Changed records that the source must look again, and wakes it. It never
// blocks, so file-watch and process-exit callbacks can call it.
func (src *Source[T]) Changed() {
	src.changed.Store(true)
	src.poke()
}

func (src *Source[T]) poke() {
	select {
	case src.wake <- struct{}{}:
	default:
	}
}

// Ready lets Subscribe return. Every run must call it once it watches
// (so subscribers miss nothing after Subscribe returns), and before it calls
// a subscriber, which might wait for the subscribing caller: Subscribe
// blocks until then, or until run returns.
func (src *Source[T]) Ready() { src.readyOnce.Do(func() { close(src.ready) }) }

// Wake is ready after Changed, or when a subscriber joins.
func (src *Source[T]) Wake() <-chan struct{} { return src.wake }

// Done is closed when the source must stop.
func (src *Source[T]) Done() <-chan struct{} { return src.ctx.Done() }

// Context is cancelled when Done is closed: the source's calls under way
// (a probe, an RPC) end with it.
func (src *Source[T]) Context() context.Context { return src.ctx }

// TakeChanged reports, and clears, whether Changed was called since last.
func (src *Source[T]) TakeChanged() bool { return src.changed.Swap(false) }

// Publish hands v to every subscriber, in subscription order. Call it only
// from the run goroutine.
func (src *Source[T]) Publish(v T) {
	for _, sub := range src.snapshot() {
		sub.greeted = true
		sub.deliver(v)
	}
}

// Greet hands v to the subscribers that have had nothing yet (for a source
// whose subscribers start with its current value). Call it only from the
// run goroutine.
func (src *Source[T]) Greet(v T) {
	for _, sub := range src.snapshot() {
		if !sub.greeted {
			sub.greeted = true
			sub.deliver(v)
		}
	}
}

func (src *Source[T]) snapshot() []*subscriber[T] {
	src.mu.Lock()
	defer src.mu.Unlock()
	return append([]*subscriber[T](nil), src.subs...)
}

type subscriber[T any] struct {
	fn      func(T)
	greeted bool // owned by the source's goroutine

	mu      sync.Mutex // held during a call of fn, so stop waits for it
	stopped bool
}

func (sub *subscriber[T]) deliver(v T) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.stopped {
		sub.fn(v)
	}
}

func (sub *subscriber[T]) stop() {
	sub.mu.Lock()
	sub.stopped = true
	sub.mu.Unlock()
}
