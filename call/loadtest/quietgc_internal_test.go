package loadtest

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// While held back the collector does not run for garbage well within the
// headroom, and restore puts back the settings it found.
func TestQuietGC(t *testing.T) {
	percent := debug.SetGCPercent(100)
	defer debug.SetGCPercent(percent)
	restore := quietGC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before := m.NumGC
	var sink []byte
	for range 64 {
		sink = make([]byte, 1<<20) // 64 MiB of garbage, well past the heap's own size
	}
	_ = sink
	runtime.ReadMemStats(&m)
	if m.NumGC != before {
		t.Errorf("%d collections while held back", m.NumGC-before)
	}
	if limit := debug.SetMemoryLimit(-1); limit == math.MaxInt64 {
		t.Error("no memory bound while the collector is held back")
	}
	restore()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GC percent %d after restore, want 100", p)
	}
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		t.Errorf("memory limit %d after restore, want none", limit)
	}
}
