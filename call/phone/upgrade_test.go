package phone_test

import (
	"context"
	"math"
	"testing"
	"time"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
)

// An audio call becomes a video call and back: alice turns her camera on
// and bob sees her at once with his own camera still off; bob turns his
// on too; both turn theirs off and the call is an audio call again, still
// up, with sound and no more pictures. The record keeps the type the call
// was placed with.
func TestAudioCallTurnsVideoOnAndOff(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeAudio)
	eventually(t, "bob hearing alice", func() bool { return math.Abs(sb.Stats().AudioHz-440) <= 5 })
	eventually(t, "alice hearing bob", func() bool { return math.Abs(sa.Stats().AudioHz-660) <= 5 })

	// Audio → video: alice's camera.
	on := time.Now()
	sa.SetCamera(true)
	eventually(t, "bob's first frame of alice's camera", func() bool { return len(bob.frameStamps()) > 0 })
	t.Logf("bob decoded alice's first frame %s after her Camera on", time.Since(on).Round(time.Millisecond))
	waitPeerMedia(t, sb, true, true)
	eventually(t, "bob decoding alice's video", func() bool { return len(bob.frameStamps()) >= 30 })
	if _, v := sb.LocalMedia(); v {
		t.Fatal("bob's camera turned on by itself")
	}
	if _, v := sa.PeerMedia(); v {
		t.Fatal("alice sees bob's camera on")
	}
	if n := len(alice.frameStamps()); n != 0 {
		t.Fatalf("alice decoded %d frames from bob's camera, which is off", n)
	}
	// The added video goes through the call's rate allocation like a video
	// call's: a layer and a share of the estimate.
	eventually(t, "alice's video in her send stats", func() bool {
		st := sa.Stats()
		return st.SendWidth == 640 && st.SendHeight == 480 && st.VideoTargetKbps > 0
	})

	// Bob's camera too.
	sb.SetCamera(true)
	waitPeerMedia(t, sa, true, true)
	eventually(t, "alice decoding bob's video", func() bool { return len(alice.frameStamps()) >= 30 })
	before := len(bob.frameStamps())
	eventually(t, "bob still decoding alice's video", func() bool { return len(bob.frameStamps()) >= before+30 })
	for _, s := range []*media.Session{sa, sb} {
		if st := s.Stats(); st.DecodeErrors != 0 {
			t.Fatalf("%d decode errors", st.DecodeErrors)
		}
	}

	// Video → audio: both cameras off.
	sa.SetCamera(false)
	sb.SetCamera(false)
	waitPeerMedia(t, sb, true, false)
	waitPeerMedia(t, sa, true, false)
	// Frames encoded before the cameras stopped may still arrive: let half
	// a second of audio pass, then a second more must bring no picture.
	settle := func(s *media.Session, packets uint64) {
		from := s.Stats().AudioPackets
		eventually(t, "audio flowing", func() bool { return s.Stats().AudioPackets >= from+packets })
	}
	settle(sa, 25)
	settle(sb, 25)
	fa, fb := sa.Stats().FramesDecoded, sb.Stats().FramesDecoded
	settle(sa, 50)
	settle(sb, 50)
	if a, b := sa.Stats().FramesDecoded, sb.Stats().FramesDecoded; a != fa || b != fb {
		t.Fatalf("pictures after both cameras went off: alice %d→%d, bob %d→%d", fa, a, fb, b)
	}
	if st := sa.Stats(); st.SendWidth != 0 {
		t.Errorf("alice's stats say she sends %dx%d with her camera off", st.SendWidth, st.SendHeight)
	}
	eventually(t, "bob still hearing alice", func() bool { return math.Abs(sb.Stats().AudioHz-440) <= 5 })
	eventually(t, "alice still hearing bob", func() bool { return math.Abs(sa.Stats().AudioHz-660) <= 5 })
	if alice.Media() != sa || bob.Media() != sb {
		t.Fatal("the call's media changed")
	}

	// And video again, on the same negotiated track, without an offer.
	sa.SetCamera(true)
	waitPeerMedia(t, sb, true, true)
	eventually(t, "bob decoding alice's video again", func() bool { return sb.Stats().FramesDecoded >= fb+30 })

	if err := alice.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaEnded](t, bob)
	if rec := expect[*proto.CallRecordEvent](t, bob); rec.Type != proto.CallTypeAudio || rec.Status != proto.StatusCompleted {
		t.Fatalf("call record type %v status %v, want the audio call it was placed as, completed", rec.Type, rec.Status)
	}
}

// Both sides turn their cameras on at the same moment: whichever way
// their offers cross, the negotiation settles and each sees the other.
func TestAudioCallBothCamerasAtOnce(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeAudio)
	for _, s := range []*media.Session{sa, sb} {
		eventually(t, "audio flowing", func() bool { return s.Stats().AudioPackets > 25 })
	}
	sa.SetCamera(true)
	sb.SetCamera(true)
	eventually(t, "alice decoding bob's video", func() bool { return len(alice.frameStamps()) >= 30 })
	eventually(t, "bob decoding alice's video", func() bool { return len(bob.frameStamps()) >= 30 })
	for _, s := range []*media.Session{sa, sb} {
		if _, v := s.PeerMedia(); !v {
			t.Fatal("a peer's camera shows as off")
		}
	}
	bob.Hangup(context.Background())
	expect[*phone.MediaEnded](t, alice)
}

// A video call answered audio only: the answerer's camera turns on later,
// by the same renegotiation, and the caller sees it.
func TestAudioOnlyAnswerTurnsCameraOn(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cid, err := alice.Call(ctx, "bob", proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.BeCalling](t, bob)
	if err := bob.Accept(ctx, cid, proto.CallTypeAudio); err != nil {
		t.Fatal(err)
	}
	sb := expect[*phone.MediaStarted](t, bob).Session
	sa := expect[*phone.MediaStarted](t, alice).Session
	eventually(t, "alice hearing bob", func() bool { return math.Abs(sa.Stats().AudioHz-660) <= 5 })
	if n := len(alice.frameStamps()); n != 0 {
		t.Fatalf("alice decoded %d frames of a camera bob did not turn on", n)
	}
	sb.SetCamera(true)
	waitPeerMedia(t, sa, true, true)
	eventually(t, "alice decoding bob's video", func() bool { return len(alice.frameStamps()) >= 30 })
	bob.Hangup(context.Background())
	expect[*phone.MediaEnded](t, alice)
}
