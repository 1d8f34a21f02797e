package phone_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// writeY4M writes a short 4:2:0 clip of w×h at 30 fps with header (its
// first line) returned.
func writeY4M(t *testing.T, path string, w, h, frames int) (header string) {
	t.Helper()
	header = fmt.Sprintf("YUV4MPEG2 W%d H%d F30:1\n", w, h)
	var b strings.Builder
	b.WriteString(header)
	for i := range frames {
		b.WriteString("FRAME\n")
		b.WriteString(strings.Repeat(string(rune(60+20*i)), w*h))
		b.WriteString(strings.Repeat("\x80", w*h/2))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return header
}

// Alice's camera fails mid-call (a video file cut down to its header fails
// its reads as an unplugged camera does). There is no other camera here:
// the call goes on with black frames, bob keeps decoding video, and alice's
// session reports the fallback.
func TestCameraLostMidCall(t *testing.T) {
	r := newRig(t)
	path := filepath.Join(t.TempDir(), "camera.y4m")
	header := writeY4M(t, path, 160, 120, 3)
	alice := r.phone("alice", 440, func(c *phone.Config) {
		c.OpenCapture = func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{VideoFile: path, MicrophoneID: devices.SyntheticMicrophoneID,
				ToneHz: 440, Audio: true, Video: true, Width: 160, Height: 120, FPS: 30})
		}
	})
	bob := r.phone("bob", 1000)
	_, sb, sa := connectCall(t, bob, alice, proto.CallTypeVideo)
	eventually(t, "bob decoding alice's video", func() bool { return sb.Stats().FramesDecoded > 10 })

	if err := os.Truncate(path, int64(len(header))); err != nil {
		t.Fatal(err)
	}
	var fb devices.Fallback
	timeout := time.After(testTimeout)
	for fb.Kind != devices.KindCamera {
		select {
		case ev := <-sa.Events():
			if e, ok := ev.(media.DeviceFellBack); ok {
				fb = e.Fallback
			}
		case <-timeout:
			t.Fatal("no camera fallback reported")
		}
	}
	t.Logf("fallback: %+v", fb)
	if fb.Lost != path || (fb.Now.ID == "" && !errors.Is(fb.Err, devices.ErrNoCamera)) {
		t.Errorf("fallback %+v: want %s lost, and another camera or ErrNoCamera", fb, path)
	}
	frames := sb.Stats().FramesDecoded
	eventually(t, "bob decoding video after the camera was lost", func() bool { return sb.Stats().FramesDecoded > frames+30 })
	bob.Hangup(context.Background())
}
