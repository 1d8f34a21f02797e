package loadtest

import (
	"math"
	"testing"
)

// The busy share counts everything but idle and iowait, over the time
// between two readings; what cannot be read is unknown, not idle.
func TestMachineCPUFromProcStat(t *testing.T) {
	t0 := parseCPULine("cpu  100 0 50 800 50 0 0 0 0 0")
	t1 := parseCPULine("cpu  400 10 140 1200 50 0 0 0 0 0")
	if got := t1.since(t0).Busy; math.Abs(got-0.5) > 1e-9 {
		t.Errorf("busy %v, want 0.5 (400 busy of 800)", got)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5", "intr 1 2 3 4 5"} {
		if got := parseCPULine(bad).since(t0); got.Busy >= 0 || got.String() != "unknown" {
			t.Errorf("%q read as %+v", bad, got)
		}
	}
	if got := t0.since(t0); got.Busy >= 0 {
		t.Errorf("no time between readings read as %+v", got)
	}
}
