package media

import "sync"

// mailbox is an unbounded FIFO with one consumer. Producers never block,
// which is what Pion callbacks need; the consumer waits on Ready.
type mailbox[T any] struct {
	mu    sync.Mutex
	items []T // guarded by mu
	ready chan struct{}
}

func newMailbox[T any]() *mailbox[T] {
	return &mailbox[T]{ready: make(chan struct{}, 1)}
}

func (m *mailbox[T]) put(v T) {
	m.mu.Lock()
	m.items = append(m.items, v)
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// take returns everything queued, oldest first.
func (m *mailbox[T]) take() []T {
	m.mu.Lock()
	items := m.items
	m.items = nil
	m.mu.Unlock()
	return items
}

// Ready is signalled after puts; drain with take when it fires.
func (m *mailbox[T]) Ready() <-chan struct{} { return m.ready }
