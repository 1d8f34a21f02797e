package media

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"

	"duet/call/leaktest"
)

// A disk that does not keep up costs the recording media, counted, and
// never the receivers' time: here the disk takes nothing until the test
// lets it, while the receivers go on handing frames over.
func TestRecorderDropsWhenTheDiskStalls(t *testing.T) {
	leaktest.Check(t)
	const queueLen, sent = 8, 100
	r, err := newRecorder(t.TempDir(), "stalled", queueLen, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	disk := &stalledDisk{go_: make(chan struct{})}
	r.newIVF = func(_ string, opts ...ivfwriter.Option) (*ivfwriter.IVFWriter, error) {
		return ivfwriter.NewWith(disk, opts...)
	}
	r.start()
	key := vp8KeyFrame(320, 240)
	start := time.Now()
	for i := range sent {
		r.addVideo(assembledFrame{data: key, timestamp: uint32(3000 * i)})
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("handing over %d frames took %v with the disk stalled", sent, took)
	}
	// The writer holds at most one frame and the queue queueLen: the rest
	// were dropped, whether or not the writer had taken the first yet.
	if d := r.dropped.Load(); d < sent-queueLen-1 || d > sent-queueLen {
		t.Fatalf("dropped %d of %d with room for %d", d, sent, queueLen)
	}
	close(disk.go_)
	res := r.stop()
	if res.Err != nil || res.VideoFrames+res.Dropped != sent || res.VideoFrames < queueLen {
		t.Fatalf("recording %+v, want the %d frames sent written or dropped", res, sent)
	}
	if again := r.stop(); again != res {
		t.Fatalf("a second stop reports %+v, the first %+v", again, res)
	}
	r.addVideo(assembledFrame{data: key}) // after stop: ignored, not a panic
}

// A recording the session never received media for leaves no files, and
// bad names are refused before anything is written.
func TestRecorderNamesAndEmptyRecordings(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"", "../escape", "a/b"} {
		if _, err := newRecorder(dir, name, 1, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("recording named %q accepted", name)
		}
	}
	r, err := newRecorder(dir, "empty", 4, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	// A delta frame first: without a key frame before it, nothing can
	// decode it, so no video file is started.
	delta := vp8KeyFrame(320, 240)
	delta[0] |= 1
	r.addVideo(assembledFrame{data: delta})
	res := r.stop()
	if res.VideoFrames != 0 || res.AudioPackets != 0 || res.Err != nil {
		t.Fatalf("recording %+v", res)
	}
	for _, p := range []string{res.VideoPath, res.AudioPath} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v, want no file", p, err)
		}
	}
}

func TestVP8KeyFrameSize(t *testing.T) {
	w, h, ok := vp8KeyFrameSize(vp8KeyFrame(1280, 720))
	if !ok || w != 1280 || h != 720 {
		t.Fatalf("got %dx%d %t", w, h, ok)
	}
	delta := vp8KeyFrame(1280, 720)
	delta[0] |= 1
	for _, f := range [][]byte{delta, vp8KeyFrame(1280, 720)[:9], nil, {0, 0, 0, 1, 2, 3, 0, 0, 0, 0}} {
		if _, _, ok := vp8KeyFrameSize(f); ok {
			t.Errorf("%x read as a key frame", f)
		}
	}
}

// vp8KeyFrame is the header of a key frame of the given size (RFC 6386
// 9.1) and a few bytes of body; the recorder does not decode it.
func vp8KeyFrame(w, h uint16) []byte {
	f := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0, 1, 2, 3, 4}
	binary.LittleEndian.PutUint16(f[6:], w)
	binary.LittleEndian.PutUint16(f[8:], h)
	return f
}

// stalledDisk takes writes only once go_ is closed.
type stalledDisk struct{ go_ chan struct{} }

func (d *stalledDisk) Write(p []byte) (int, error) {
	<-d.go_
	return len(p), nil
}
