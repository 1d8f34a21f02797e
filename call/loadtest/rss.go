package loadtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Memory is a process's resident set: now and at its peak.
type Memory struct {
	RSS, Peak int64 // bytes
}

func (m Memory) String() string {
	if m.RSS == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB (peak %.1f MiB)", float64(m.RSS)/(1<<20), float64(m.Peak)/(1<<20))
}

// readMemory reads a process's memory from /proc (Linux); pid 0 is unknown.
func readMemory(pid int) (Memory, error) {
	if pid <= 0 {
		return Memory{}, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	var m Memory
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.RSS = kb << 10
		case "VmHWM:":
			m.Peak = kb << 10
		}
	}
	return m, nil
}
