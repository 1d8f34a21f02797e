package loadtest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// MachineCPU is how busy the whole machine was while the calls were
// placed. A load test runs its clients, and a cluster's nodes, NATS and
// PostgreSQL, on the cores it measures; once they are near full, its
// latencies are the machine's queues more than the server's work.
type MachineCPU struct {
	Busy  float64 // share of all cores' time, 0 to 1; negative when unknown
	Cores int
}

func (c MachineCPU) String() string {
	if c.Busy < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.0f %% busy of %d cores", 100*c.Busy, c.Cores)
}

// cpuTicks are the machine's busy and total CPU time so far, from
// /proc/stat (Linux); ok is false elsewhere.
type cpuTicks struct {
	busy, total uint64
	ok          bool
}

func readCPUTicks() cpuTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTicks{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseCPULine(line)
}

// parseCPULine reads /proc/stat's first line: "cpu" and the time spent
// in user, nice, system, idle, iowait, irq, softirq, steal, ...; idle and
// iowait are the machine waiting.
func parseCPULine(line string) cpuTicks {
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return cpuTicks{}
	}
	var t cpuTicks
	for i, s := range f[1:] {
		if i >= 8 { // guest time is counted in user already
			break
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return cpuTicks{}
		}
		t.total += n
		if i != 3 && i != 4 {
			t.busy += n
		}
	}
	t.ok = true
	return t
}

// since is the machine's CPU between t0 and t.
func (t cpuTicks) since(t0 cpuTicks) MachineCPU {
	if !t.ok || !t0.ok || t.total <= t0.total {
		return MachineCPU{Busy: -1, Cores: runtime.NumCPU()}
	}
	return MachineCPU{Busy: float64(t.busy-t0.busy) / float64(t.total-t0.total), Cores: runtime.NumCPU()}
}
