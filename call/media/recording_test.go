package media_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"duet/call/media"
)

// Recording started mid-call begins at a key frame the recorder asked for,
// the peer is told when it starts and stops, and closing the session ends
// a recording still running with its files complete.
func TestRecordingMidCallTellsThePeer(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	connect(t, alice, bob, media.Config{LoopbackOnly: true}, media.Config{LoopbackOnly: true})
	eventually(t, "video both ways", func() bool { return alice.frames.Load() > 10 && bob.frames.Load() > 10 })
	if bob.media().PeerRecording() {
		t.Fatal("bob sees a recording before anyone records")
	}

	dir := t.TempDir()
	a := alice.media()
	if err := a.StartRecording(dir, "first"); err != nil {
		t.Fatal(err)
	}
	if err := a.StartRecording(dir, "second"); !errors.Is(err, media.ErrAlreadyRecording) {
		t.Fatalf("second recording: %v", err)
	}
	eventually(t, "bob told that alice records", func() bool { return bob.media().PeerRecording() })
	recorded := alice.frames.Load()
	eventually(t, "frames recorded", func() bool { return alice.frames.Load() > recorded+15 })
	res, err := a.StopRecording()
	if err != nil || res.VideoFrames < 10 || res.AudioPackets < 10 || res.Dropped != 0 {
		t.Fatalf("recording %+v: %v", res, err)
	}
	if res.VideoPath != filepath.Join(dir, "first.ivf") || res.AudioPath != filepath.Join(dir, "first.ogg") {
		t.Fatalf("recorded to %s and %s", res.VideoPath, res.AudioPath)
	}
	eventually(t, "bob told that alice stopped", func() bool { return !bob.media().PeerRecording() })
	if _, err := a.StopRecording(); !errors.Is(err, media.ErrNotRecording) {
		t.Fatalf("stopping again: %v", err)
	}
	if n := count[media.PeerRecordingChanged](bob); n != 2 {
		t.Fatalf("bob saw %d recording changes, want on and off", n)
	}

	// Bob records and hangs up: his files are closed by the teardown.
	b := bob.media()
	if err := b.StartRecording(dir, "bob"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice told that bob records", func() bool { return a.PeerRecording() })
	recorded = bob.frames.Load()
	eventually(t, "frames recorded", func() bool { return bob.frames.Load() > recorded+15 })
	b.Close()
	if b.Recording() {
		t.Fatal("closed, and still recording")
	}
	if err := b.StartRecording(dir, "late"); !errors.Is(err, media.ErrMediaEnded) {
		t.Fatalf("recording after close: %v", err)
	}
	for _, name := range []string{"bob.ivf", "bob.ogg"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() < 1000 || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want a private file with the call in it", name, st, err)
		}
	}
	ivf, err := os.ReadFile(filepath.Join(dir, "bob.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	// Closing the file wrote the frame count into its header.
	if n := int(ivf[24]) | int(ivf[25])<<8; n < 10 || n == 900 {
		t.Fatalf("bob.ivf counts %d frames", n)
	}
}
