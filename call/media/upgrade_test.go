package media_test

import (
	"testing"

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
