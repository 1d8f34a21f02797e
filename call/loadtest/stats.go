package loadtest

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration // guarded by mu
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Summary is a latency distribution.
type Summary struct {
	Count         int
	P50, P99, Max time.Duration
}

func (l *latencies) summary() Summary {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Summary{Count: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

func (s Summary) String() string {
	if s.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %s  p99 %s  max %s  (n=%d)", round(s.P50), round(s.P99), round(s.Max), s.Count)
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// errorCounts counts failures by what failed.
type errorCounts struct {
	mu sync.Mutex
	n  map[string]int // guarded by mu
}

func (e *errorCounts) add(what string, err error) {
	e.mu.Lock()
	if e.n == nil {
		e.n = map[string]int{}
	}
	e.n[fmt.Sprintf("%s: %v", what, err)]++
	e.mu.Unlock()
}

func (e *errorCounts) snapshot() (total int, byKind map[string]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	byKind = map[string]int{}
	for k, v := range e.n {
		byKind[k] = v
		total += v
	}
	return total, byKind
}
