package media_test

import (
	"testing"

	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
	"duet/internal/xvfbtest"
)

// Sharing the screen in a video call: the peer decodes frames of the
// screen's size and is told it is a screen; stopping brings the camera's
// frames back. In an audio call, sharing makes it a video call as the
// camera would, and stopping makes it an audio call again.
func TestScreenShare(t *testing.T) {
	xvfbtest.Start(t, 1280, 720)
	xvfbtest.Fill(t, "#2040c0")
	for _, tc := range []struct {
		name string
		typ  proto.CallType
		cfg  devices.CaptureConfig
	}{
		{"video call", proto.CallTypeVideo,
			devices.CaptureConfig{Synthetic: true, Audio: true, Video: true, Width: 320, Height: 240, FPS: 15}},
		{"audio call", proto.CallTypeAudio,
			devices.CaptureConfig{Synthetic: true, Audio: true, Width: 320, Height: 240, FPS: 15}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			alice, bob := r.peer("alice"), r.peer("bob")
			alice.capture, bob.capture = &tc.cfg, &tc.cfg
			cfg := media.Config{Type: tc.typ, LoopbackOnly: true}
			connect(t, alice, bob, cfg, cfg)
			sa, sb := alice.media(), bob.media()
			eventually(t, "audio flowing", func() bool { return sb.Stats().AudioPackets > 25 })
			if tc.typ == proto.CallTypeVideo {
				eventually(t, "bob seeing alice's camera", func() bool { return sb.Stats().Width == 320 })
			}

			sa.ShareScreen("")
			eventually(t, "alice sharing", func() bool { return count[media.ScreenShareChanged](alice) >= 1 })
			if !sa.Sharing() {
				t.Fatalf("alice is not sharing: %v", alice.mediaEvents(isScreenShare))
			}
			// The screen's shape (the camera's is 4:3), at a size the
			// estimate allows: 1280x720, or 960x540 on a busy machine.
			eventually(t, "bob decoding the screen", func() bool {
				st := sb.Stats()
				return st.Width >= 960 && st.Width*9 == st.Height*16
			})
			eventually(t, "bob told it is a screen", sb.PeerScreen)
			if _, v := sb.PeerMedia(); !v {
				t.Error("bob sees alice's video as off while she shares")
			}
			frames := bob.frames.Load()
			eventually(t, "bob still decoding the screen", func() bool { return bob.frames.Load() >= frames+10 })

			sa.StopSharing()
			eventually(t, "alice stopped sharing", func() bool { return count[media.ScreenShareChanged](alice) >= 2 })
			eventually(t, "bob told the screen share ended", func() bool { return !sb.PeerScreen() })
			_, video := sb.PeerMedia()
			if tc.typ == proto.CallTypeVideo {
				eventually(t, "bob seeing alice's camera again", func() bool { return sb.Stats().Width == 320 })
				if !video {
					t.Error("alice's camera shows as off after sharing")
				}
			} else if video {
				t.Error("the audio call still shows video after sharing")
			}
			if st := sb.Stats(); st.DecodeErrors != 0 {
				t.Errorf("%d decode errors", st.DecodeErrors)
			}
		})
	}
}

func isScreenShare(ev media.Event) bool { _, ok := ev.(media.ScreenShareChanged); return ok }
