package phone_test

import (
	"context"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
	"duet/internal/pulsetest"
)

// echoSink is alice's speaker; its monitor is her microphone, so all she
// plays leaks straight back into it: a perfect echo path.
var echoSink = pulsetest.Sink{Name: "duet_echo", Description: "DuetEcho"}

// minEchoCut is how much lower the far end must hear its own tone back
// with alice's echo cancellation on than with it off.
const minEchoCut = 25 // dB

// echoRelapses is how many more levels a measurement may look at to find
// its run of steady ones. A machine too busy to feed the speaker in time
// moves the echo's delay, and the canceller needs a second or two to find
// it again: that is a glitch of the machine, not the canceller's steady
// state, and a canceller that never cuts the echo enough still fails.
const echoRelapses = 4

// Bob calls alice over PulseAudio with his synthetic tone; alice's speaker
// plays into a null sink whose monitor is her microphone. Bob hears his
// tone back loud with alice's echo cancellation off, and on average at
// least minEchoCut dB lower with it on for three seconds in a row, once it
// has converged.
func TestPulseEchoCancellation(t *testing.T) {
	r := newRig(t)
	pulsetest.Start(t, echoSink)
	speaker, mic := echoDevices(t)
	var aec atomic.Bool
	alice := r.phone("alice", 0, func(c *phone.Config) {
		c.Playback, c.SpeakerID = true, speaker.ID
		c.OpenCapture = func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{MicrophoneID: mic.ID, Audio: true,
				Processing: devices.AudioProcessing{Set: true, EchoCancel: aec.Load()}})
		}
	})
	bob := r.phone("bob", 1000)

	aec.Store(false)
	off := echoLevels(t, bob, alice, false, func(dbfs float64) bool { return dbfs > -30 }, 2)
	aec.Store(true)
	limit := meanLevel(off) - minEchoCut
	on := echoLevels(t, bob, alice, true, func(dbfs float64) bool { return dbfs < limit }, 3)
	t.Logf("bob's tone back at bob: %.1f dBFS (%.1f) with alice's echo cancellation off, %.1f dBFS (%.1f) on: %.1f dB lower",
		meanLevel(off), off, meanLevel(on), on, meanLevel(off)-meanLevel(on))
	if meanLevel(on) > limit {
		t.Fatalf("with echo cancellation the echo is %.1f dBFS, want at most %.1f (%d dB below %.1f)",
			meanLevel(on), limit, minEchoCut, meanLevel(off))
	}
}

// meanLevel is the level of the power averaged over 200 ms windows, each
// given in dBFS: an echo canceller's echo return loss enhancement is the
// ratio of such averages.
func meanLevel(dbfs []float64) float64 {
	var p float64
	for _, l := range dbfs {
		p += math.Pow(10, l/10)
	}
	return 10 * math.Log10(p/float64(len(dbfs)))
}

// echoDevices finds echoSink as a speaker and its monitor as a microphone.
func echoDevices(t *testing.T) (speaker, mic devices.Device) {
	t.Helper()
	inv, err := devices.List()
	if err != nil {
		t.Fatal(err)
	}
	si := slices.IndexFunc(inv.Speakers, func(d devices.Device) bool { return d.Label == echoSink.Description })
	mi := slices.IndexFunc(inv.Microphones, func(d devices.Device) bool { return d.Label == echoSink.MonitorLabel() })
	if si < 0 || mi < 0 {
		t.Fatalf("no %s speaker and monitor: speakers %v microphones %v", echoSink.Description, inv.Speakers, inv.Microphones)
	}
	return inv.Speakers[si], inv.Microphones[mi]
}

// echoLevels has caller call callee, waits until the callee hears the
// caller's tone (its microphone processed or not) and the caller's level
// of it coming back settles (one level holds want), and returns the first
// n levels in a row that the caller measures (a second apart, 200 ms
// each) whose mean holds want, or the last n if echoRelapses more do not
// find them; then it hangs up.
func echoLevels(t *testing.T, caller, callee *testPhone, processed bool, want func(dbfs float64) bool, n int) []float64 {
	t.Helper()
	_, sc, se := connectCall(t, caller, callee, proto.CallTypeAudio)
	eventually(t, callee.account+" hearing "+caller.account, func() bool {
		return math.Abs(se.Stats().AudioHz-caller.toneHz) <= 5
	})
	// The echo path is the callee's speaker and microphone: both must be
	// the real devices, the microphone processed as asked.
	if ws := se.Warnings(); len(ws) != 0 {
		t.Fatalf("%s's media warnings: %v", callee.account, ws)
	}
	if got := se.Capture().AudioProcessed(); got != processed {
		t.Fatalf("%s's microphone processed %t, want %t", callee.account, got, processed)
	}
	var settling []float64
	eventually(t, caller.account+"'s echo level settling", func() bool {
		settling = append(settling, nextStats(t, sc).AudioDBFS)
		return want(settling[len(settling)-1])
	})
	t.Logf("%s's echo level while settling, a second apart: %.1f dBFS", caller.account, settling)
	var levels []float64
	for len(levels) < n+echoRelapses {
		levels = append(levels, nextStats(t, sc).AudioDBFS)
		if len(levels) >= n && want(meanLevel(levels[len(levels)-n:])) {
			break
		}
	}
	if len(levels) > n {
		t.Logf("%s's echo level after settling, a second apart: %.1f dBFS", caller.account, levels)
	}
	levels = levels[len(levels)-n:]
	if err := caller.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaEnded](t, caller)
	expect[*phone.MediaEnded](t, callee)
	return levels
}

// nextStats waits for s's next stats sample (one a second).
func nextStats(t *testing.T, s *media.Session) media.Stats {
	t.Helper()
	last := s.Stats()
	var st media.Stats
	deadline := time.Now().Add(testTimeout)
	for st = s.Stats(); st == last; st = s.Stats() {
		if time.Now().After(deadline) {
			t.Fatal("no stats sample")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return st
}
