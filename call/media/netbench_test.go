package media_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// netScenarios are the links `make netbench` measures calls on.
var netScenarios = []scenario{
	{name: "clean", duration: 30 * time.Second},
	{name: "2 Mbit/s 20 ms", link: linkConfig{Rate: 2_000_000, Delay: 20 * time.Millisecond}, duration: 30 * time.Second},
	{name: "600 kbit/s 30±10 ms", link: linkConfig{Rate: 600_000, Delay: 30 * time.Millisecond, Jitter: 10 * time.Millisecond}, duration: 30 * time.Second},
	{name: "2 % loss", link: linkConfig{Loss: 0.02, Delay: 20 * time.Millisecond}, duration: 30 * time.Second},
	{name: "400 kbit/s 50 ms 1 %", link: linkConfig{Rate: 400_000, Delay: 50 * time.Millisecond, Loss: 0.01}, duration: 30 * time.Second},
	{name: "2.5M→150k→2.5M", link: linkConfig{Rate: 2_500_000, Delay: 20 * time.Millisecond}, duration: 60 * time.Second,
		steps: []rateStep{{20 * time.Second, 150_000}, {40 * time.Second, 2_500_000}}},
	{name: "5 % bursty loss", link: linkConfig{BurstLoss: 0.05, BurstLen: 10, Delay: 20 * time.Millisecond}, duration: 30 * time.Second},
}

// BenchmarkNetworkScenarios places a video call between two phones on each
// emulated link and prints one row per scenario and direction: offered
// load ÷ capacity (p50, p95 of 1 s windows, from 2 s after a step down),
// the worst 10 s share of resends, delivered fps and kbit/s,
// glass-to-glass p50 and p95 in ms, total and longest freeze, the time
// after the link returns to reach 80 % of the rate before the dip, the receiver's
// NACKed packets and key frame requests per minute, the share of audio
// concealed, and the layers sent; for a dip, a line on the dip itself.
// It runs in real time (about four minutes); NETBENCH picks scenarios by
// name and NETBENCH_TRACE=1 prints every second.
func BenchmarkNetworkScenarios(b *testing.B) {
	filter := os.Getenv("NETBENCH")
	var rows []string
	for _, sc := range netScenarios {
		if filter != "" && !strings.Contains(sc.name, filter) {
			continue
		}
		b.Run(strings.NewReplacer(" ", "_", "/", "_", "%", "pct").Replace(sc.name), func(b *testing.B) {
			for range b.N {
				for _, d := range runScenario(b, sc) {
					if os.Getenv("NETBENCH_TRACE") != "" {
						d.trace()
					}
					f := d.figures(sc)
					rows = append(rows, fmt.Sprintf("%-22s %-10s %5.2f %5.2f %6.1f %5.1f %6.0f %5.0f %5.0f %8s %7s %6s %6.0f %5.1f %5.1f  %s",
						sc.name, d.name, f.loadP50, f.loadP95, f.maxResent10s, f.fps, f.meanKbps,
						ms(f.g2gP50), ms(f.g2gP95), f.freeze.Round(10*time.Millisecond), f.longestFreeze.Round(10*time.Millisecond),
						recoveryText(f.recover80),
						f.nacksPerMin, f.plisPerMin, f.audioPct, f.layers))
					if len(sc.steps) >= 2 {
						rows = append(rows, fmt.Sprintf("%-22s %-10s in the dip: %.1f fps, glass-to-glass p95 %.0f ms, audio concealed %.1f %%; latency under 100 ms %s after the link returned",
							"", "", f.dipFPS, ms(f.dipG2G95), f.dipAudioPct, backlogText(f.backlog)))
					}
				}
			}
		})
	}
	fmt.Printf("\n%-22s %-10s %5s %5s %6s %5s %6s %5s %5s %8s %7s %6s %6s %5s %5s  %s\n", "scenario", "direction",
		"ld50", "ld95", "rtx%10", "fps", "kbps", "g2g50", "g2g95", "freeze", "longest", "rec80", "nack/m", "pli/m", "aud%", "layers sent")
	for _, r := range rows {
		fmt.Println(r)
	}
}

// trace prints every second of a direction.
func (d *direction) trace() {
	fmt.Printf("\n%s\n%4s %7s %7s %7s %7s %5s %5s %5s %6s %5s %s\n", d.name, "s", "cap", "target", "video", "sent", "rtx%", "fps", "width", "g2g", "aud%", "layer")
	for _, s := range d.seconds {
		fmt.Printf("%4.0f %7d %7.0f %7.0f %7.0f %5.1f %5.1f %5d %6.0f %5.1f %s\n", s.at.Seconds(), s.capacity/1000, s.target, s.video, s.sendKbps,
			s.resentPct, s.fps, s.width, ms(s.g2g), s.audio, s.layer)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func backlogText(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(time.Second).String()
}

func recoveryText(d time.Duration) string {
	switch {
	case d < 0:
		return "never"
	case d == 0:
		return "-"
	}
	return d.Round(time.Second).String()
}
