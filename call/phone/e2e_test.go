package phone_test

import (
	"context"
	"maps"
	"math"
	"os"
	"runtime"
	"testing"

	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
)

func TestVideoCallEndToEnd(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 1000)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)

	for _, side := range []struct {
		me   *testPhone
		s    *media.Session
		peer *testPhone
	}{{alice, sa, bob}, {bob, sb, alice}} {
		eventually(t, side.me.account+" decoding 60 frames", func() bool { return len(side.me.frameStamps()) >= 60 })
		stamps := side.me.frameStamps()
		for i := 1; i < len(stamps); i++ {
			if stamps[i] <= stamps[i-1] {
				t.Fatalf("%s: frame %d after frame %d: out of order", side.me.account, stamps[i], stamps[i-1])
			}
		}
		side.me.mu.Lock()
		sizes := maps.Clone(side.me.sizes)
		side.me.mu.Unlock()
		if len(sizes) != 1 || sizes[[2]int{640, 480}] == 0 {
			t.Fatalf("%s decoded sizes %v, want only 640x480", side.me.account, sizes)
		}
		eventually(t, side.me.account+" hearing the peer's tone", func() bool {
			return math.Abs(side.s.Stats().AudioHz-side.peer.toneHz) <= 5
		})
		if st := side.s.Stats(); st.DecodeErrors != 0 {
			t.Fatalf("%s: %d decode errors", side.me.account, st.DecodeErrors)
		}
	}

	if err := bob.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaEnded](t, bob)
	expect[*proto.HangupEvent](t, alice)
	expect[*phone.MediaEnded](t, alice)
	if alice.Media() != nil || bob.Media() != nil {
		t.Fatal("a media session outlived its call")
	}
}

func TestAudioCallCarriesNoVideo(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeAudio)
	for _, s := range []*media.Session{sa, sb} {
		eventually(t, "audio flowing", func() bool { return s.Stats().AudioPackets > 50 })
	}
	eventually(t, "alice hearing 660 Hz", func() bool { return math.Abs(sa.Stats().AudioHz-660) <= 5 })
	for _, s := range []*media.Session{sa, sb} {
		if st := s.Stats(); st.FramesDecoded != 0 || s.RemoteVideo().Load().Image != nil {
			t.Fatalf("audio call decoded %d video frames", st.FramesDecoded)
		}
	}
	if len(alice.frameStamps()) != 0 {
		t.Fatal("video frames in an audio call")
	}
	alice.Hangup(context.Background())
	expect[*phone.MediaEnded](t, bob)
}

func TestMuteAndCameraOffReachThePeer(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)
	eventually(t, "bob hearing alice", func() bool { return math.Abs(sb.Stats().AudioHz-440) <= 5 })

	sa.SetMicrophone(false)
	waitPeerMedia(t, sb, false, true)
	eventually(t, "silence at bob", func() bool { return sb.Stats().AudioDBFS < -60 })
	if a, v := sb.PeerMedia(); a || !v {
		t.Fatalf("bob sees alice audio=%t video=%t", a, v)
	}

	sa.SetCamera(false)
	waitPeerMedia(t, sb, false, false)
	eventually(t, "black frames at bob", func() bool {
		f := sb.RemoteVideo().Load()
		return f.Image != nil && meanLuma(f) < 24
	})

	sa.SetMicrophone(true)
	sa.SetCamera(true)
	waitPeerMedia(t, sb, true, true)
	eventually(t, "tone back at bob", func() bool { return math.Abs(sb.Stats().AudioHz-440) <= 5 && sb.Stats().AudioDBFS > -30 })
	eventually(t, "picture back at bob", func() bool { return meanLuma(sb.RemoteVideo().Load()) > 40 })
	_ = sa
	alice.Hangup(context.Background())
	expect[*phone.MediaEnded](t, bob)
}

// TestTwentyCallsInARow leaks no goroutine (checked by the rig), file
// descriptor or memory.
func TestTwentyCallsInARow(t *testing.T) {
	if testing.Short() {
		t.Skip("twenty calls")
	}
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	oneCall := func(i int) {
		_, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)
		for _, s := range []*media.Session{sa, sb} {
			eventually(t, "first frame", func() bool { return s.RemoteVideo().Load().Seq > 0 })
		}
		hangupAlternating(t, i, alice, bob)
	}
	oneCall(0)
	fds, heap := openFDs(t), heapInUse()
	for i := 1; i < 20; i++ {
		oneCall(i)
	}
	eventually(t, "descriptors released", func() bool { return openFDs(t) <= fds+4 })
	if grown := heapInUse() - heap; grown > 32<<20 {
		t.Fatalf("heap grew by %d MiB over 19 calls", grown>>20)
	}
}

func waitPeerMedia(t *testing.T, s *media.Session, audio, video bool) {
	t.Helper()
	for {
		select {
		case ev := <-s.Events():
			if m, ok := ev.(media.PeerMediaChanged); ok && m.Audio == audio && m.Video == video {
				return
			}
		case <-timeoutC():
			t.Fatalf("peer media never became audio=%t video=%t", audio, video)
		}
	}
}

func meanLuma(f media.Frame) float64 {
	if f.Image == nil {
		return 0
	}
	// The centre, away from the frame stamp along the top.
	b := f.Image.Rect
	var sum, n float64
	for y := b.Min.Y + b.Dy()/3; y < b.Max.Y-b.Dy()/4; y += 4 {
		for x := b.Min.X + b.Dx()/4; x < b.Max.X-b.Dx()/4; x += 4 {
			sum += float64(f.Image.Y[f.Image.YOffset(x, y)])
			n++
		}
	}
	return sum / n
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// TestEchoReturnsWhatWasSent: an echo phone sends the caller's own frames
// and tone back.
func TestEchoReturnsWhatWasSent(t *testing.T) {
	r := newRig(t)
	alice := r.phone("alice", 440)
	echo := r.phone("echo", 0, func(c *phone.Config) { c.Echo = true })
	_, sa, _ := connectCall(t, alice, echo, proto.CallTypeVideo)
	eventually(t, "alice seeing her own frames", func() bool { return len(alice.frameStamps()) >= 30 })
	stamps := alice.frameStamps()
	for i := 1; i < len(stamps); i++ {
		if stamps[i] <= stamps[i-1] {
			t.Fatalf("echoed frame %d after %d", stamps[i], stamps[i-1])
		}
	}
	eventually(t, "alice hearing her own tone", func() bool { return math.Abs(sa.Stats().AudioHz-440) <= 5 })
	alice.Hangup(context.Background())
	expect[*phone.MediaEnded](t, echo)
}
