package call

import "sync"

// eventQueue hands events to the application in order without ever blocking
// the reader: events wait in an unbounded slice and one pump goroutine feeds
// the channel.
type eventQueue struct {
	ch   chan Event
	wake chan struct{}
	quit chan struct{} // closed by stop: drop what is left
	done chan struct{}

	mu     sync.Mutex
	queue  []Event // guarded by mu
	closed bool    // guarded by mu: no more pushes; close ch once drained
}

func newEventQueue() *eventQueue {
	q := &eventQueue{ch: make(chan Event), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	go q.pump()
	return q
}

func (q *eventQueue) push(ev Event) {
	q.mu.Lock()
	if !q.closed {
		q.queue = append(q.queue, ev)
	}
	q.mu.Unlock()
	q.signal()
}

// finish delivers the remaining events, then closes the channel.
func (q *eventQueue) finish() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// stop ends the pump now, dropping undelivered events, and waits for it.
func (q *eventQueue) stop() {
	select {
	case <-q.quit:
	default:
		close(q.quit)
	}
	<-q.done
}

func (q *eventQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) pump() {
	defer close(q.done)
	defer close(q.ch)
	for {
		q.mu.Lock()
		var next Event
		if len(q.queue) > 0 {
			next = q.queue[0]
			q.queue[0] = nil
			q.queue = q.queue[1:]
		}
		closed := q.closed
		q.mu.Unlock()
		if next == nil {
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
