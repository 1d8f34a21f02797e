package media_test

import (
	"testing"
	"time"

	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
)

// Both sides of an audio call turn their cameras on and their offers
// cross for certain (each is held until both are made): the first offerer
// keeps its offer, the other yields, answers, and offers its own video
// after; each then sees the other.
func TestRenegotiationGlare(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	audioOnly := devices.CaptureConfig{Synthetic: true, Audio: true, Width: 320, Height: 240, FPS: 15, VideoBitrate: 300_000}
	alice.capture, bob.capture = &audioOnly, &audioOnly
	cfg := media.Config{Type: proto.CallTypeAudio, LoopbackOnly: true}
	connect(t, alice, bob, cfg, cfg)
	sa, sb := alice.media(), bob.media()
	for _, s := range []*media.Session{sa, sb} {
		eventually(t, "audio flowing", func() bool { return s.Stats().AudioPackets > 25 })
	}

	releaseA, releaseB := alice.gate.holdOffers(), bob.gate.holdOffers()
	sa.SetCamera(true)
	sb.SetCamera(true)
	eventually(t, "both offers made", func() bool { return alice.gate.heldOffers.Load() == 1 && bob.gate.heldOffers.Load() == 1 })
	releaseA()
	releaseB()

	eventually(t, "alice seeing bob", func() bool { return alice.frames.Load() >= 20 })
	eventually(t, "bob seeing alice", func() bool { return bob.frames.Load() >= 20 })
	// Bob joined the room first, so he made the call's first offer.
	if !bob.logs.has("offer collision: keeping our renegotiation offer") {
		t.Error("bob (the first offerer) did not keep his offer")
	}
	if !alice.logs.has("offer collision: yielding to the peer's offer; ours follows its answer") {
		t.Error("alice did not yield")
	}
	for _, s := range []*media.Session{sa, sb} {
		if _, v := s.PeerMedia(); !v {
			t.Error("a peer's camera shows as off")
		}
		if st := s.Stats(); st.DecodeErrors != 0 {
			t.Errorf("%d decode errors", st.DecodeErrors)
		}
	}
}

// A renegotiation offer lost while signaling was down goes again when the
// phone resyncs after reconnecting, and the peer then sees the video.
func TestRenegotiationOfferLostGoesAgain(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	audioOnly := devices.CaptureConfig{Synthetic: true, Audio: true, Width: 320, Height: 240, FPS: 15, VideoBitrate: 300_000}
	alice.capture, bob.capture = &audioOnly, &audioOnly
	cfg := media.Config{Type: proto.CallTypeAudio, LoopbackOnly: true}
	connect(t, alice, bob, cfg, cfg)
	sa, sb := alice.media(), bob.media()
	eventually(t, "audio flowing", func() bool { return sb.Stats().AudioPackets > 25 })

	alice.gate.closed.Store(true)
	sa.SetCamera(true)
	eventually(t, "the offer refused", func() bool { return alice.gate.refusedOffers.Load() == 1 })
	alice.gate.closed.Store(false)
	sa.ResyncMedia()
	eventually(t, "bob seeing alice", func() bool { return bob.frames.Load() >= 20 })
	if _, v := sb.PeerMedia(); !v {
		t.Error("bob sees alice's camera off")
	}
}

// Video turned on in an audio call goes through the call's congestion
// control like a video call's: on an emulated link whose bottleneck
// drops, the estimate and the upgraded video's size follow it down.
func TestUpgradedVideoFollowsCapacity(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	l := newLink(t, linkConfig{Rate: 2_500_000, Delay: 20 * time.Millisecond})
	scene := &devices.CaptureConfig{CameraID: devices.SyntheticSceneCameraID, MicrophoneID: devices.SyntheticMicrophoneID,
		Audio: true, Width: 480, Height: 360, FPS: 15}
	alice.capture, bob.capture = scene, scene
	connect(t, alice, bob, media.Config{Type: proto.CallTypeAudio, Net: l.A}, media.Config{Type: proto.CallTypeAudio, Net: l.B})
	s := alice.media()
	eventually(t, "audio flowing", func() bool { return bob.media().Stats().AudioPackets > 25 })
	s.SetCamera(true)
	within(t, 40*time.Second, "up to 480x360 on 2.5 Mbit/s", s, func(st media.Stats) bool {
		return st.TargetKbps >= 500 && st.SendHeight == 360
	})
	eventually(t, "bob decoding alice's video", func() bool { return bob.frames.Load() >= 30 })
	l.SetRate(200_000)
	within(t, 30*time.Second, "down on 200 kbit/s", s, func(st media.Stats) bool {
		return st.TargetKbps <= 250 && st.SendHeight < 360
	})
	frames := bob.frames.Load()
	eventually(t, "bob still decoding on 200 kbit/s", func() bool { return bob.frames.Load() >= frames+15 })
}
