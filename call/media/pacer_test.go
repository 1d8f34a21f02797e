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
// estimate, and is dropped when it would exceed it or comes too late.
func TestPacerBudgetsResends(t *testing.T) {
	leaktest.Check(t)
	var target atomic.Int64
	target.Store(10_000_000)
	p := newPacer(func() int { return int(target.Load()) }, func() bool { return true }, nil)
	defer p.Close()
	var w wire
	vw := p.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "video/VP8"}, &w)
	payload := make([]byte, 1000)
	for seq := range uint16(10) {
		vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: seq}, payload, nil)
	}
	waitFor(t, "the first sends", func() bool { return len(w.sent()) == 10 })
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 3}, payload, nil) // a resend, within budget
	waitFor(t, "the resend", func() bool { return len(w.sent()) == 11 })
	if p.stats.resendBytes.Load() == 0 {
		t.Error("the resend was not counted as one")
	}
	target.Store(8_000) // 1 kB a second: the last second is far over it
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 4}, payload, nil)
	waitFor(t, "the resend dropped", func() bool { return p.stats.resendsDropped.Load() == 1 })
	if got := len(w.sent()); got != 11 {
		t.Errorf("%d packets out, want 11: a resend over the estimate went", got)
	}
}
