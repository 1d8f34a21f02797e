package phone_test

import (
	"context"
	"errors"
	"testing"

	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
)

// A camera switched mid-call reaches the peer on the same track: frames go
// on at the same size, and the new camera's frames (whose stamps count
// from its own start) follow the old one's without a renegotiation.
func TestCameraSwitchMidCall(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)
	eventually(t, "bob decoding alice's test pattern", func() bool { return len(bob.frameStamps()) >= 30 })
	before := sb.Stats().RecvKbps

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := sa.SwitchCamera(ctx, devices.SyntheticSceneCameraID); err != nil {
		t.Fatal(err)
	}
	// The new camera's first frame is the first stamp lower than the one
	// before it; after it, 30 frames in order.
	newCamera := func() []uint32 {
		stamps := bob.frameStamps()
		for i := 1; i < len(stamps); i++ {
			if stamps[i] < stamps[i-1] {
				return stamps[i:]
			}
		}
		return nil
	}
	eventually(t, "bob decoding 30 frames of the new camera", func() bool { return len(newCamera()) >= 30 })
	stamps := newCamera()
	for i := 1; i < len(stamps); i++ {
		if stamps[i] <= stamps[i-1] {
			t.Fatalf("frame %d after frame %d of the new camera: out of order", stamps[i], stamps[i-1])
		}
	}
	bob.mu.Lock()
	sizes := len(bob.sizes)
	bob.mu.Unlock()
	if sizes != 1 {
		t.Errorf("bob decoded %d sizes across the switch, want one", sizes)
	}
	t.Logf("bob received %.0f kbit/s of the test pattern, %.0f of the scene", before, sb.Stats().RecvKbps)
	if n := sb.Stats().FramesDecoded; n == 0 || sb.Stats().DecodeErrors != 0 {
		t.Fatalf("bob: %d frames, %d decode errors", n, sb.Stats().DecodeErrors)
	}

	// A camera that is not there: the call keeps the scene.
	if err := sa.SwitchCamera(ctx, "no-such-camera"); !errors.Is(err, devices.ErrNoCamera) {
		t.Errorf("switching to a missing camera: %v, want ErrNoCamera", err)
	}
	frames := len(bob.frameStamps())
	eventually(t, "frames after a failed switch", func() bool { return len(bob.frameStamps()) >= frames+10 })
	alice.Hangup(context.Background())
}

func TestCameraSwitchInAnAudioCall(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	_, sa, _ := connectCall(t, alice, bob, proto.CallTypeAudio)
	if err := sa.SwitchCamera(context.Background(), devices.SyntheticSceneCameraID); !errors.Is(err, media.ErrNoVideoSent) {
		t.Fatalf("a camera switch in an audio call: %v, want ErrNoVideoSent", err)
	}
	alice.Hangup(context.Background())
}
