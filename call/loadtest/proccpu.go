package loadtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcessCPU is the CPU time each part of the test used while the calls
// were placed: where the machine's cores went, and so what a latency
// waited behind.
type ProcessCPU struct {
	Server time.Duration   // one server, or a cluster's nodes together; 0 unknown
	Nodes  []time.Duration // each node of a cluster, in the order of Config.Nodes
	Self   time.Duration   // this process: the clients, and NATS when --cluster started it
	// Machine is every core's busy time, the processes above and the rest
	// (PostgreSQL, the kernel) alike.
	Machine time.Duration
}

// userHZ is the unit of /proc's CPU times: fixed at 100 on Linux,
// whatever the kernel's own tick.
const userHZ = 100

func ticksToDuration(t uint64) time.Duration { return time.Duration(t) * time.Second / userHZ }

// processTicks is the user and system CPU time process pid has used, in
// userHZ ticks, from /proc/PID/stat; ok false when it cannot be read.
func processTicks(pid int) (ticks uint64, ok bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseProcessStat(string(b))
}

// parseProcessStat reads utime and stime, the 14th and 15th fields. The
// second, the command in parentheses, may hold spaces and parentheses of
// its own: the fields are counted from the last ')'.
func parseProcessStat(stat string) (ticks uint64, ok bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	const utime, stime = 14 - 3, 15 - 3 // f[0] is the 3rd field, the state
	if len(f) <= stime {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[utime], 10, 64)
	s, err2 := strconv.ParseUint(f[stime], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return u + s, true
}

// cpuReading is every measured process's CPU time at one moment.
type cpuReading struct {
	machine cpuTicks
	self    uint64
	servers []uint64 // one server, or each node
	known   []bool
}

func readCPU(self int, servers []int) cpuReading {
	r := cpuReading{machine: readCPUTicks()}
	r.self, _ = processTicks(self)
	for _, pid := range servers {
		t, ok := processTicks(pid)
		r.servers = append(r.servers, t)
		r.known = append(r.known, ok)
	}
	return r
}

// since is what each process used between r0 and r. A server that could
// not be read at either end counts as unknown (0), and so does their sum.
func (r cpuReading) since(r0 cpuReading, cluster bool) ProcessCPU {
	var p ProcessCPU
	if r.machine.ok && r0.machine.ok && r.machine.busy >= r0.machine.busy {
		p.Machine = ticksToDuration(r.machine.busy - r0.machine.busy)
	}
	if r.self >= r0.self {
		p.Self = ticksToDuration(r.self - r0.self)
	}
	allKnown := len(r.servers) > 0
	for i := range r.servers {
		var d time.Duration
		if r.known[i] && r0.known[i] && r.servers[i] >= r0.servers[i] {
			d = ticksToDuration(r.servers[i] - r0.servers[i])
		} else {
			allKnown = false
		}
		p.Server += d
		if cluster {
			p.Nodes = append(p.Nodes, d)
		}
	}
	if !allKnown {
		p.Server = 0
	}
	return p
}
