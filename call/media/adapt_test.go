package media_test

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"duet/call/media"
	"duet/devices"
)

// within polls cond until it holds, failing after limit; it logs the
// sender's figures on failure.
func within(t *testing.T, limit time.Duration, what string, s *media.Session, cond func(media.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st := s.Stats()
		if cond(st) {
			t.Logf("%s: estimate %.0f kbit/s, sending %dx%d@%d at %.0f kbit/s", what, st.TargetKbps,
				st.SendWidth, st.SendHeight, st.SendFPS, st.SendKbps)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; estimate %.0f kbit/s, sending %dx%d@%d at %.0f kbit/s", what, limit,
				st.TargetKbps, st.SendWidth, st.SendHeight, st.SendFPS, st.SendKbps)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEstimateFollowsCapacity: on an emulated link whose bottleneck drops
// and comes back, the sender's estimate and its video size follow it down
// and back up.
func TestEstimateFollowsCapacity(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	l := newLink(t, linkConfig{Rate: 2_500_000, Delay: 20 * time.Millisecond})
	scene := &devices.CaptureConfig{CameraID: devices.SyntheticSceneCameraID, MicrophoneID: devices.SyntheticMicrophoneID,
		Audio: true, Video: true, Width: 480, Height: 360, FPS: 15}
	// Only alice's sending is measured; bob sends the small test pattern,
	// so a busy machine's delays in the emulated link stay out of it.
	alice.capture = scene
	alice.logs.debug = os.Getenv("DUET_DEBUG_LOG") != "" // the estimator's decisions, in the log shown on failure
	connect(t, alice, bob, media.Config{Net: l.A}, media.Config{Net: l.B})
	s := alice.media()

	within(t, 40*time.Second, "up to 480x360 on 2.5 Mbit/s", s, func(st media.Stats) bool {
		return st.TargetKbps >= 500 && st.SendHeight == 360
	})
	l.SetRate(200_000)
	within(t, 30*time.Second, "down on 200 kbit/s", s, func(st media.Stats) bool {
		return st.TargetKbps <= 250 && st.SendHeight < 360
	})
	l.SetRate(2_500_000)
	within(t, 60*time.Second, "back up on 2.5 Mbit/s", s, func(st media.Stats) bool {
		return st.TargetKbps >= 450 && st.SendHeight == 360
	})
	eventually(t, "bob decoding 480x360 again", func() bool { return bob.media().Stats().Width == 480 })
}

// TestJitterBufferConcealsLoss: on a link that loses packets, the
// receiver's jitter buffer makes up the lost audio and the tone is still
// heard at its frequency.
func TestJitterBufferConcealsLoss(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	l := newLink(t, linkConfig{Loss: 0.05, Delay: 10 * time.Millisecond})
	connect(t, alice, bob, media.Config{Net: l.A}, media.Config{Net: l.B})
	var concealed float64
	eventually(t, "bob concealing lost audio", func() bool {
		st := bob.media().Stats()
		concealed = max(concealed, st.AudioConcealedPct)
		return concealed > 0 && st.AudioPackets > 100
	})
	eventually(t, "bob hearing alice's tone through the losses", func() bool {
		return math.Abs(bob.media().Stats().AudioHz-devices.DefaultToneHz) <= 5
	})
	st := bob.media().Stats()
	t.Logf("bob: %s concealed in one second, tone %.1f Hz at %.1f dBFS, buffer %v",
		fmt.Sprintf("%.1f %%", st.AudioConcealedPct), st.AudioHz, st.AudioDBFS, st.AudioDelay)
}
