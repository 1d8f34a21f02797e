// Package leaktest fails a test that leaves goroutines behind.
package leaktest

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Check records the goroutines running now and, at cleanup, fails t if
// others are still running after a settle period. Call it first in a test,
// before anything starts goroutines; tests using it must not be parallel.
func Check(t testing.TB) {
	t.Helper()
	before := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			leaked := leakedSince(before)
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutine(s) leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

var header = regexp.MustCompile(`^goroutine (\d+) `)

// goroutines maps goroutine ids to their stacks.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if m := header.FindSubmatch(g); m != nil {
			out[string(m[1])] = string(g)
		}
	}
	return out
}

// ignorable goroutines belong to the runtime or the test framework, or
// linger a moment after their owner closed by design.
var ignorable = []string{
	"created by testing.",
	"created by os/signal.Notify",
	"created by runtime.gc",
	"runtime.ensureSigM",
	"database/sql.(*DB).connectionOpener",
}

// pionSRTPAnnounce is a goroutine pion leaves behind in a rare teardown
// race (pion/webrtc v4's undeclaredRTPMediaProcessor stops accepting new
// streams when the SRTCP session closes first; a packet of a new SSRC that
// arrives just then blocks the SRTP reader announcing it, for good). It is
// pion's, one per such close; every goroutine of ours is still checked.
const pionSRTPAnnounce = "github.com/pion/srtp/v3.(*SessionSRTP).decrypt"

func pionSRTPRace(stack string) bool {
	return strings.Contains(stack, "[chan send") && strings.Contains(stack, pionSRTPAnnounce)
}

func leakedSince(before map[string]string) []string {
	var leaked []string
	for id, stack := range goroutines() {
		if _, ok := before[id]; ok {
			continue
		}
		if ignored(stack) {
			continue
		}
		leaked = append(leaked, stack)
	}
	return leaked
}

func ignored(stack string) bool {
	if lines := strings.SplitN(stack, "\n", 3); len(lines) > 1 && strings.HasPrefix(lines[1], "testing.") {
		return true
	}
	for _, s := range ignorable {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return pionSRTPRace(stack)
}
