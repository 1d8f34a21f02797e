// Package await is the tests' way to wait for a call event or a condition,
// each with a deadline, so that no test hangs.
package await

import (
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
)

// Timeout bounds each wait.
const Timeout = 20 * time.Second

// Event returns the next event of type T, skipping others. A rejected call
// fails t at once, unless the rejection is what is awaited.
func Event[T call.Event](t testing.TB, events <-chan call.Event) T {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	for {
		select {
		case ev := <-events:
			if got, ok := ev.(T); ok {
				return got
			}
			if r, ok := ev.(*proto.CallRejected); ok {
				t.Fatalf("call rejected (%s) while waiting for another event", r.Reason)
			}
		case <-timer.C:
			var zero T
			t.Fatalf("timed out waiting for %T", zero)
			return zero
		}
	}
}

// Until polls cond until it holds, and fails t if it does not in time.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
