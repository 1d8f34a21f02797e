// Package fifo is an unbounded queue drained into a channel: producers never
// block, and one pump goroutine hands items over in order.
package fifo

import "sync"

// Queue hands items to a consumer in order without ever blocking the
// producer: items wait in a slice and one pump goroutine feeds the channel.
// Push, Finish and Stop are safe for concurrent use.
type Queue[T any] struct {
	ch   chan T
	wake chan struct{}
	quit chan struct{} // closed by stop: drop what is left
	done chan struct{}

	mu     sync.Mutex
	queue  []T  // guarded by mu
	closed bool // guarded by mu: no more pushes; close ch once drained
}

// New starts the pump.
func New[T any]() *Queue[T] {
	q := &Queue[T]{ch: make(chan T), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	go q.pump()
	return q
}

// Push queues v; after Finish it is dropped.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	if !q.closed {
		q.queue = append(q.queue, v)
	}
	q.mu.Unlock()
	q.signal()
}

// C is the channel items arrive on; it is closed after Finish once drained,
// or at Stop.
func (q *Queue[T]) C() <-chan T { return q.ch }

// Finish delivers the remaining items, then closes the channel.
func (q *Queue[T]) Finish() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// Stop ends the pump now, dropping undelivered items, and waits for it.
func (q *Queue[T]) Stop() {
	select {
	case <-q.quit:
	default:
		close(q.quit)
	}
	<-q.done
}

func (q *Queue[T]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue[T]) pump() {
	defer close(q.done)
	defer close(q.ch)
	for {
		q.mu.Lock()
		var next T
		have := len(q.queue) > 0
		if have {
			next = q.queue[0]
			var zero T
			q.queue[0] = zero
			q.queue = q.queue[1:]
		}
		closed := q.closed
		q.mu.Unlock()
		if !have {
			if closed {
				return
			}
			select {
			case <-q.wake:
				continue
			case <-q.quit:
				return
			}
		}
		select {
		case q.ch <- next:
		case <-q.quit:
			return
		}
	}
}
