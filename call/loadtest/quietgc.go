package loadtest

import (
	"runtime"
	"runtime/debug"
)

// quietHeadroom is how much the load generator's memory may grow while
// its collector is held back before it collects all the same.
const quietHeadroom = 2 << 30

// quietGC collects the load generator's garbage once, outside what is
// measured, and holds its collector back until restore, unless the
// memory grows by quietHeadroom. Collecting the heap of ten thousand
// clients (and of NATS, when it runs in this process) takes the
// machine's cores for a few hundred milliseconds; on a machine the
// generator shares with the servers it measures, that shows as their
// latency, which it is not.
func quietGC() (restore func()) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(int64(m.Sys-m.HeapReleased) + quietHeadroom)
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	}
}
