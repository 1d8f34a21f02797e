package media

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"

	"duet/call/leaktest"
)

// wire records what the pacer lets out.
type wire struct {
	mu   sync.Mutex
	seqs []uint16
}

func (w *wire) Write(h *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
	w.mu.Lock()
	w.seqs = append(w.seqs, h.SequenceNumber)
	w.mu.Unlock()
	return 0, nil
}

func (w *wire) sent() []uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]uint16(nil), w.seqs...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Video is held while the window is closed and released in order when it
// opens; audio never waits; the queue refuses packets past its bound.
func TestPacerHoldsVideoBoundedly(t *testing.T) {
	leaktest.Check(t)
	var open atomic.Bool
	p := newPacer(func() int { return 20_000_000 }, open.Load, nil)
	defer p.Close()
	var video, audio wire
	vw := p.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "video/VP8"}, &video)
	aw := p.BindLocalStream(&interceptor.StreamInfo{SSRC: 2, MimeType: "audio/opus"}, &audio)
	payload := make([]byte, 1000)
	var full error
	for seq := range uint16(maxQueuedPackets + 10) {
		if _, err := vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: seq}, payload, nil); err != nil {
			full = err
		}
	}
	if !errors.Is(full, errPacerFull) {
		t.Errorf("past %d queued packets: %v, want errPacerFull", maxQueuedPackets, full)
	}
	if _, err := aw.Write(&rtp.Header{SSRC: 2, SequenceNumber: 7}, payload, nil); err != nil {
		t.Fatal(err)
	}
	if got := audio.sent(); len(got) != 1 {
		t.Errorf("audio sent %v while video waits", got)
	}
	time.Sleep(50 * time.Millisecond)
	if got := video.sent(); len(got) != 0 {
		t.Fatalf("%d video packets left with the window closed", len(got))
	}
	open.Store(true)
	waitFor(t, "the queue drained", func() bool { return len(video.sent()) == maxQueuedPackets })
	for i, seq := range video.sent() {
		if seq != uint16(i) {
			t.Fatalf("packet %d has sequence number %d", i, seq)
		}
	}
	if n := p.stats.overflows.Load(); n != 10 {
		t.Errorf("%d overflows, want 10", n)
	}
}

// A resend goes out ahead of queued video while it fits under the
// estimate, or while resends stay within their allowance when the media
// alone overshot it; otherwise, or when it comes too late, it is dropped.
func TestPacerBudgetsResends(t *testing.T) {
	leaktest.Check(t)
	var target atomic.Int64
	target.Store(10_000_000)
	p := newPacer(func() int { return int(target.Load()) }, func() bool { return true }, nil)
	defer p.Close()
	var w wire
	vw := p.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "video/VP8"}, &w)
	payload := make([]byte, 1000) // 1012 bytes a packet with its header
	for seq := range uint16(50) {
		vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: seq}, payload, nil)
	}
	waitFor(t, "the first sends", func() bool { return len(w.sent()) == 50 })
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 3}, payload, nil) // a resend, within budget
	waitFor(t, "the resend", func() bool { return len(w.sent()) == 51 })
	if p.stats.resendBytes.Load() == 0 {
		t.Error("the resend was not counted as one")
	}
	// 28 kB a second, which the 52 kB sent overshot; the allowance is 2250
	// bytes, room for one more resend.
	target.Store(225_000)
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 4}, payload, nil)
	waitFor(t, "the resend within the allowance", func() bool { return len(w.sent()) == 52 })
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 5}, payload, nil)
	waitFor(t, "the resend past the allowance dropped", func() bool { return p.stats.resendsDropped.Load() == 1 })
	target.Store(8_000) // 1 kB a second: far less than one packet's allowance
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 6}, payload, nil)
	waitFor(t, "the resend dropped", func() bool { return p.stats.resendsDropped.Load() == 2 })
	if got := len(w.sent()); got != 52 {
		t.Errorf("%d packets out, want 52: a resend over the estimate went", got)
	}
}
