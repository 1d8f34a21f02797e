package phone_test

import (
	"testing"
	"time"

	"github.com/pion/transport/v5"

	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/internal/vnetlink"
)

// qualityTimeout bounds each wait for a verdict: the meter needs two bad
// seconds to worsen and five good ones to recover, the estimate some
// seconds to climb back after the loss, and a loaded machine more.
const qualityTimeout = 40 * time.Second

func onNet(n transport.Net) func(*phone.Config) {
	return func(c *phone.Config) { c.Net = n }
}

// TestQualityFollowsImpairedLink: when bob's uplink loses a quarter of its
// packets, bob's call goes poor and blames his connection while alice's
// goes poor and blames his; with the link restored both recover.
//
// An audio call: a video call over vnet under the race detector on a
// small shared machine is bound by the CPU, whose delays the estimate
// rightly reads as a slow link. The video signals have table tests.
func TestQualityFollowsImpairedLink(t *testing.T) {
	r := newRig(t)
	l := vnetlink.New(t, vnetlink.Config{Delay: 10 * time.Millisecond})
	alice := r.phone("alice", 440, onNet(l.A))
	bob := r.phone("bob", 660, onNet(l.B))
	_, a, b := connectCall(t, alice, bob, proto.CallTypeAudio)
	waitQuality(t, "alice good", a, media.QualityGood, media.ReasonNone)
	waitQuality(t, "bob good", b, media.QualityGood, media.ReasonNone)

	l.SetLossTo(l.A, 0.25) // what bob sends
	waitQuality(t, "bob poor, his link", b, media.QualityPoor, media.ReasonLocal)
	waitQuality(t, "alice poor, bob's link", a, media.QualityPoor, media.ReasonRemote)

	l.SetLossTo(l.A, 0)
	waitQuality(t, "alice recovered", a, media.QualityGood, media.ReasonNone)
	waitQuality(t, "bob recovered", b, media.QualityGood, media.ReasonNone)
	hangupAlternating(t, 0, alice, bob)
}

// waitQuality waits until s shows q for reason.
func waitQuality(t *testing.T, what string, s *media.Session, q media.Quality, reason media.QualityReason) {
	t.Helper()
	deadline := time.Now().Add(qualityTimeout)
	for {
		st := s.Stats()
		if st.Quality == q && st.QualityReason == reason {
			t.Logf("%s: loss %.2f sent loss %.2f rtt %v concealed %.0f%%", what,
				st.Loss, st.SentLoss, st.RTT, st.AudioConcealedPct)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v (%v) after %s; loss %.2f sent loss %.2f rtt %v concealed %.0f%%",
				what, st.Quality, st.QualityReason, qualityTimeout, st.Loss, st.SentLoss, st.RTT, st.AudioConcealedPct)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
