// Package mailbox is an unbounded FIFO with a wake-up channel: a source's
// callback, which must never block, puts; one consumer goroutine waits on
// Wake and takes everything queued, in order.
package mailbox

import "sync"

// Box is a FIFO of T; the zero value is not usable, use New.
type Box[T any] struct {
	mu    sync.Mutex
	items []T
	wake  chan struct{}
}

// New returns an empty box.
func New[T any]() *Box[T] { return &Box[T]{wake: make(chan struct{}, 1)} }

// Put queues v; it never blocks.
func (b *Box[T]) Put(v T) {
	b.mu.Lock()
	b.items = append(b.items, v)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Wake is readable after a Put that the consumer has not taken yet.
func (b *Box[T]) Wake() <-chan struct{} { return b.wake }

// Take returns everything queued, oldest first, and empties the box.
func (b *Box[T]) Take() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}
