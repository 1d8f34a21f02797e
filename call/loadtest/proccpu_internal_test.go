package loadtest

import (
	"os"
	"testing"
	"time"
)

// utime and stime are counted from the last ')': a command may hold
// spaces and parentheses.
func TestProcessStatFields(t *testing.T) {
	stat := "4242 (duet (n1) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 40 0 0 20 0 9 0 123 456 789"
	if got, ok := parseProcessStat(stat); !ok || got != 290 {
		t.Errorf("read %d, %v; want 290 ticks", got, ok)
	}
	for _, bad := range []string{"", "4242 duet S 1", "4242 (duet) S 1 2 3", "4242 (duet) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 40"} {
		if got, ok := parseProcessStat(bad); ok {
			t.Errorf("%q read as %d ticks", bad, got)
		}
	}
}

// This process's CPU time grows by about what it burns.
func TestProcessTicksOfThisProcess(t *testing.T) {
	t0, ok := processTicks(os.Getpid())
	if !ok {
		t.Skip("no /proc here")
	}
	burn := time.Now().Add(300 * time.Millisecond)
	for n := 0; time.Now().Before(burn); n++ {
		_ = n * n
	}
	t1, _ := processTicks(os.Getpid())
	if d := ticksToDuration(t1 - t0); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("burning 300 ms of one core read as %v", d)
	}
	if _, ok := processTicks(0); ok {
		t.Error("pid 0 read as known")
	}
}

// A node that cannot be read makes the sum unknown, not smaller.
func TestProcessCPUSince(t *testing.T) {
	r0 := cpuReading{machine: cpuTicks{busy: 1000, total: 4000, ok: true}, self: 100,
		servers: []uint64{10, 20, 30}, known: []bool{true, true, true}}
	r1 := cpuReading{machine: cpuTicks{busy: 3000, total: 8000, ok: true}, self: 400,
		servers: []uint64{110, 170, 330}, known: []bool{true, true, true}}
	p := r1.since(r0, true)
	if p.Machine != 20*time.Second || p.Self != 3*time.Second || p.Server != 5500*time.Millisecond {
		t.Errorf("got %+v", p)
	}
	if len(p.Nodes) != 3 || p.Nodes[1] != 1500*time.Millisecond {
		t.Errorf("nodes %v", p.Nodes)
	}
	r1.known[2] = false
	if p := r1.since(r0, true); p.Server != 0 || p.Nodes[2] != 0 || p.Nodes[0] != time.Second {
		t.Errorf("with n3 unread: %+v", p)
	}
	if p := r1.since(r0, false); p.Nodes != nil {
		t.Errorf("one server reported nodes: %v", p.Nodes)
	}
}
