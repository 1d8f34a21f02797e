package phone_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"duet/call/phone"
	"duet/call/proto"
)

// A phone with RecordDir records every call from its start, and the peer
// is told. However a call ends — hung up here, hung up by the peer, or this side's
// signaling gone — a recording phone's files are closed whole: the IVF
// header counts the frames the file holds and the Ogg stream is ended.
func TestRecordingsCloseOnEveryTeardown(t *testing.T) {
	r := newRig(t)
	aliceDir, bobDir := t.TempDir(), t.TempDir()
	alice := r.phone("alice", 440, func(c *phone.Config) { c.RecordDir = aliceDir })
	bob := r.phone("bob", 660, func(c *phone.Config) { c.RecordDir = bobDir })

	flowing := func(a, b *testPhone) {
		eventually(t, "frames both ways", func() bool { return len(a.frameStamps()) > 10 && len(b.frameStamps()) > 10 })
	}
	// Alice hangs up: her own recording and, by remote hangup, bob's.
	cid, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)
	flowing(alice, bob)
	// Recording from before the room was joined, each was told with the
	// offer or answer that the other records.
	eventually(t, "each told the other records", func() bool { return sa.PeerRecording() && sb.PeerRecording() })
	if err := alice.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaEnded](t, alice)
	expect[*phone.MediaEnded](t, bob)
	checkClosed(t, filepath.Join(aliceDir, cid))
	checkClosed(t, filepath.Join(bobDir, cid))

	// Bob's signaling goes: his phone ends the media it can no longer
	// keep, and the recording with it.
	cid, _, _ = connectCall(t, alice, bob, proto.CallTypeVideo)
	flowing(alice, bob)
	bob.Client().Close()
	expect[*phone.MediaEnded](t, bob)
	checkClosed(t, filepath.Join(bobDir, cid))
}

// checkClosed checks base.ivf and base.ogg were closed by their writers.
func checkClosed(t *testing.T, base string) {
	t.Helper()
	f, err := os.Open(base + ".ivf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, hdr, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for {
		if _, _, err := rd.ParseNextFrame(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s.ivf frame %d: %v", base, frames, err)
		}
		frames++
	}
	if frames == 0 || int(hdr.NumFrames) != frames {
		t.Errorf("%s.ivf holds %d frames, its header says %d", base, frames, hdr.NumFrames)
	}
	ogg, err := os.ReadFile(base + ".ogg")
	if err != nil {
		t.Fatal(err)
	}
	last := bytes.LastIndex(ogg, []byte("OggS"))
	if last < 0 || len(ogg) < last+6 || ogg[last+5]&0x04 == 0 {
		t.Errorf("%s.ogg: the last page does not end the stream", base)
	}
}
