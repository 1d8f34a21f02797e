package media_test

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"duet/call/media"
	"duet/devices"
)

// scenario is a video call over an emulated link for a while, with the
// bottleneck's rate changed at given times.
type scenario struct {
	name     string
	link     linkConfig
	duration time.Duration
	steps    []rateStep
}

type rateStep struct {
	at   time.Duration
	rate int
}

// second is one direction's figures for one second of the call.
type second struct {
	at        time.Duration // the end of the second
	capacity  int           // bits/s; 0 = unlimited
	sendKbps  float64       // offered by the sender
	resentPct float64
	target    float64       // the sender's estimate, kbit/s
	video     float64       // the sender's video encoder target, kbit/s
	g2g       time.Duration // the newest frame's glass-to-glass latency
	fps       float64       // decoded by the receiver
	width     int           // of the frames received
	layer     string        // sent
	audio     float64       // concealed share of the receiver's audio, percent
	nacks     uint64        // asked for by the receiver so far
	plis      uint64        // key frames asked for by the receiver so far
}

// direction is what one side sent and the other received.
type direction struct {
	name    string
	seconds []second
	start   time.Time // of the scenario's clock

	mu        sync.Mutex
	latencies []time.Duration // glass to glass, per stamped frame
	latencyAt []time.Time     // when each of those was decoded
	decoded   []time.Time     // when each frame was decoded
}

func (d *direction) frame(f media.Frame) {
	_, captured, ok := devices.ReadFrameStamp(f.Image)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.decoded = append(d.decoded, f.Decoded)
	if ok {
		d.latencies = append(d.latencies, f.Decoded.Sub(captured))
		d.latencyAt = append(d.latencyAt, f.Decoded)
	}
}

func (d *direction) newestLatency() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.latencies) == 0 {
		return 0
	}
	return d.latencies[len(d.latencies)-1]
}

// callCapture is what each phone sends in a scenario: a busy 640x480
// scene that loads VP8 as a real webcam does, and the tone.
func callCapture() *devices.CaptureConfig {
	return &devices.CaptureConfig{CameraID: devices.SyntheticSceneCameraID, MicrophoneID: devices.SyntheticMicrophoneID,
		Audio: true, Video: true, Width: 640, Height: 480, FPS: 30}
}

// runScenario places a video call over the scenario's link and samples
// both directions once a second.
func runScenario(t testing.TB, sc scenario) [2]*direction {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	l := newLink(t, sc.link)
	dirs := [2]*direction{{name: "alice→bob"}, {name: "bob→alice"}}
	alice.capture, bob.capture = callCapture(), callCapture()
	bob.onFrame, alice.onFrame = dirs[0].frame, dirs[1].frame
	alice.logs.debug = os.Getenv("NETBENCH_TRACE") != ""
	bob.logs.debug = alice.logs.debug
	defer func() {
		if alice.logs.debug {
			fmt.Println(alice.logs.dump())
			fmt.Println(bob.logs.dump())
		}
	}()
	connect(t, alice, bob, media.Config{Net: l.A}, media.Config{Net: l.B})
	eventually(t, "first frames both ways", func() bool { return alice.frames.Load() > 0 && bob.frames.Load() > 0 })
	start := time.Now()
	dirs[0].start, dirs[1].start = start, start
	playScenario(sc, l, start, func(at time.Duration, capacity int) {
		for i, pair := range [][2]*peer{{alice, bob}, {bob, alice}} {
			from, to := pair[0].media().Stats(), pair[1].media().Stats()
			dirs[i].seconds = append(dirs[i].seconds, second{at: at, capacity: capacity, sendKbps: from.SendKbps,
				resentPct: from.ResentPct, target: from.TargetKbps, video: from.VideoTargetKbps, fps: to.FPS, width: to.Width,
				g2g: dirs[i].newestLatency(), nacks: to.NACKs, plis: to.PLIs, audio: to.AudioConcealedPct,
				layer: fmt.Sprintf("%dx%d@%d", from.SendWidth, from.SendHeight, from.SendFPS)})
		}
	})
	return dirs
}

// playScenario changes the link's rate as the scenario says and calls
// each once a second from start until its duration is over, with the
// time into it and the capacity then.
func playScenario(sc scenario, l *link, start time.Time, each func(at time.Duration, capacity int)) {
	capacity, steps := sc.link.Rate, slices.Clone(sc.steps)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for now := range tick.C {
		at := now.Sub(start)
		if at > sc.duration {
			return
		}
		for len(steps) > 0 && at >= steps[0].at {
			capacity = steps[0].rate
			l.SetRate(capacity)
			steps = steps[1:]
		}
		each(at, capacity)
	}
}

// figures sums a direction up.
type figures struct {
	loadP50, loadP95 float64       // offered ÷ capacity over 1 s windows, from 2 s after a step down
	maxResent10s     float64       // percent, the worst 10 s window
	fps              float64       // mean delivered, of the seconds after the first
	layers           string        // layers sent, in order, without repeats
	freeze           time.Duration // in all
	longestFreeze    time.Duration
	g2gP50, g2gP95   time.Duration
	recover80        time.Duration // after the last step up, to 80 % of the rate before the first step down; -1: never
	meanKbps         float64       // of the seconds after the first
	nacksPerMin      float64       // sequence numbers the receiver asked for again
	plisPerMin       float64       // key frames the receiver asked for
	audioPct         float64       // concealed audio, of the seconds after the first

	// In a dip (from 2 s after the step down to the step up): mean fps,
	// glass-to-glass p95, concealed audio; and how long after the link
	// returned the newest frame's latency was first under 100 ms (-1:
	// never): any queue left from the dip is gone by then.
	dipFPS      float64
	dipG2G95    time.Duration
	dipAudioPct float64
	backlog     time.Duration
}

func (d *direction) figures(sc scenario) figures {
	var f figures
	var loads []float64
	lastDown := time.Duration(-1 << 62)
	prevCap := sc.link.Rate
	for _, s := range d.seconds {
		if s.capacity != prevCap {
			if s.capacity < prevCap {
				lastDown = s.at
			}
			prevCap = s.capacity
		}
		if s.capacity > 0 && s.at-time.Second-lastDown >= 2*time.Second {
			loads = append(loads, s.sendKbps*1000/float64(s.capacity))
		}
		if n := len(f.layers); n == 0 || !hasSuffix(f.layers, s.layer) {
			if n > 0 {
				f.layers += "→"
			}
			f.layers += s.layer
		}
	}
	f.loadP50, f.loadP95 = quantile(loads, 0.5), quantile(loads, 0.95)
	for i := 0; i+10 <= len(d.seconds); i++ {
		f.maxResent10s = max(f.maxResent10s, mean(d.seconds[i:i+10], func(s second) float64 { return s.resentPct }))
	}
	d.mu.Lock()
	lat := slices.Clone(d.latencies)
	dec := slices.Clone(d.decoded)
	d.mu.Unlock()
	f.g2gP50, f.g2gP95 = durQuantile(lat, 0.5), durQuantile(lat, 0.95)
	f.freeze, f.longestFreeze = freezes(dec)
	f.recover80 = d.recovery(sc)
	// The phones' first figures of a second may still be those of the
	// second before the first frame.
	inCall := d.between(2*time.Second, sc.duration+time.Second)
	f.fps = mean(inCall, func(s second) float64 { return s.fps })
	f.meanKbps = mean(inCall, func(s second) float64 { return s.sendKbps })
	f.audioPct = mean(inCall, func(s second) float64 { return s.audio })
	if len(sc.steps) >= 2 {
		from, to := sc.steps[0].at+2*time.Second, sc.steps[len(sc.steps)-1].at
		dip := d.between(from+time.Second, to+time.Second)
		f.dipFPS = mean(dip, func(s second) float64 { return s.fps })
		f.dipAudioPct = mean(dip, func(s second) float64 { return s.audio })
		var inDip []time.Duration
		for i, at := range d.latencyAt {
			if off := at.Sub(d.start); off >= from && off < to {
				inDip = append(inDip, lat[i])
			}
		}
		f.dipG2G95 = durQuantile(inDip, 0.95)
		f.backlog = -1
		for _, s := range d.between(to+time.Second, sc.duration+time.Second) {
			if s.g2g > 0 && s.g2g < 100*time.Millisecond {
				f.backlog = s.at - to
				break
			}
		}
	}
	if n := len(d.seconds); n > 1 {
		first, last := d.seconds[0], d.seconds[n-1]
		mins := (last.at - first.at).Minutes()
		f.nacksPerMin = float64(last.nacks-first.nacks) / mins
		f.plisPerMin = float64(last.plis-first.plis) / mins
	}
	return f
}

// between returns the seconds sampled in [from, to). A second is sampled
// at its end: the one at 22 s is what happened from 21 s.
func (d *direction) between(from, to time.Duration) []second {
	var out []second
	for _, s := range d.seconds {
		if s.at >= from && s.at < to {
			out = append(out, s)
		}
	}
	return out
}

// recovery is how long after the last step up the send rate took to reach
// 80 % of its mean over the 5 s before the first step down.
func (d *direction) recovery(sc scenario) time.Duration {
	if len(sc.steps) < 2 {
		return 0
	}
	down, up := sc.steps[0].at, sc.steps[len(sc.steps)-1].at
	var pre []second
	for _, s := range d.seconds {
		if s.at >= down-5*time.Second && s.at < down {
			pre = append(pre, s)
		}
	}
	want := 0.8 * mean(pre, func(s second) float64 { return s.sendKbps })
	for _, s := range d.seconds {
		if s.at-time.Second >= up && s.sendKbps >= want {
			return s.at - up
		}
	}
	return -1
}

// freezes sums the freezes by Chromium's definition (a frame later than
// max(3 × the mean interval, the mean + 150 ms), the mean over the last
// 30 frames) and finds the longest.
func freezes(decoded []time.Time) (total, longest time.Duration) {
	const window = 30
	for i := 1; i < len(decoded); i++ {
		gap := decoded[i].Sub(decoded[i-1])
		lo := max(0, i-window)
		if i-lo < 2 {
			continue
		}
		meanGap := decoded[i-1].Sub(decoded[lo]) / time.Duration(i-1-lo)
		if gap > max(3*meanGap, meanGap+150*time.Millisecond) {
			total += gap
			longest = max(longest, gap)
		}
	}
	return total, longest
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

func mean(ss []second, f func(second) float64) float64 {
	if len(ss) == 0 {
		return 0
	}
	var sum float64
	for _, s := range ss {
		sum += f(s)
	}
	return sum / float64(len(ss))
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[min(int(q*float64(len(v))), len(v)-1)]
}

func durQuantile(v []time.Duration, q float64) time.Duration {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[min(int(q*float64(len(v))), len(v)-1)]
}
