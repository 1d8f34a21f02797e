package media

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/call/leaktest"
	"duet/call/proto"
)

// discard is a signaler whose peer never answers.
type discard struct{}

func (discard) Relay(context.Context, string, any) error { return nil }

// relaySeeds are relay messages a peer may send, well formed or not.
func relaySeeds(t testing.TB) [][2]string {
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := json.Marshal(offer)
	a, _ := json.Marshal(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: offer.SDP})
	return [][2]string{
		{"offer", string(o)},
		{"answer", string(a)},
		{"offer", string(a)}, // kind and type disagree
		{"offer", `{"type":"offer","sdp":"v=0\r\na=ice-ufrag:x\r\n"}`},
		{"offer", `{"type":"offer"`},
		{"answer", `{"type":"rollback","sdp":""}`},
		{"candidate", `{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host ufrag x","sdpMid":"0","sdpMLineIndex":0}`},
		{"candidate", `{"candidate":"candidate:garbage"}`},
		{"candidate", `{"candidate":""}`},
		{"candidate", `null`},
		{"candidate", `7`},
		{"media", `{"audio":true,"video":false}`},
		{"media", `{"audio":false,"video":true,"ask":true}`},
		{"media", `[]`},
		{"recording", `{"recording":true}`},
		{"recording", `{"recording":"yes"}`},
		{"recording", `null`},
		{"restart", `{}`},
		{"", ``},
	}
}

// TestHandleRelayBadInput: whatever the peer relays, the session goes on
// and still answers a good offer.
func TestHandleRelayBadInput(t *testing.T) {
	leaktest.Check(t)
	s := fuzzSession(t)
	seeds := relaySeeds(t)
	for _, m := range seeds[1:] {
		feed(t, s, m[0], []byte(m[1]))
	}
	feed(t, s, seeds[0][0], []byte(seeds[0][1]))
	if s.pc.CurrentLocalDescription() == nil || s.role != roleAnswerer {
		t.Fatal("the good offer was not answered after the bad input")
	}
}

// TestEndOfCandidatesIgnored: Duet needs no end-of-candidates and sends
// none; one a peer relays anyway, as null or as an empty candidate, before
// or after the description, is dropped without a complaint.
func TestEndOfCandidatesIgnored(t *testing.T) {
	leaktest.Check(t)
	var log lockedBuffer
	s, err := Start(Config{Signal: discard{}, Type: proto.CallTypeVideo, LoopbackOnly: true,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ends := []string{`null`, `{"candidate":""}`, `{"candidate":"","sdpMid":"0","sdpMLineIndex":0}`}
	for _, p := range ends { // queued until the description comes
		feed(t, s, "candidate", []byte(p))
	}
	seeds := relaySeeds(t)
	feed(t, s, seeds[0][0], []byte(seeds[0][1]))
	for _, p := range ends {
		feed(t, s, "candidate", []byte(p))
	}
	if s.pc.CurrentLocalDescription() == nil {
		t.Fatal("the offer was not answered")
	}
	for _, msg := range []string{"add remote candidate", "bad candidate"} {
		if strings.Contains(log.String(), msg) {
			t.Fatalf("end-of-candidates logged %q:\n%s", msg, log.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FuzzHandleRelay feeds one session arbitrary relay messages: it must
// neither panic nor stop handling events.
func FuzzHandleRelay(f *testing.F) {
	leaktest.Check(f)
	for _, m := range relaySeeds(f) {
		f.Add(m[0], []byte(m[1]))
	}
	s := fuzzSession(f)
	f.Fuzz(func(t *testing.T, kind string, payload []byte) {
		feed(t, s, kind, payload)
	})
}

func fuzzSession(t testing.TB) *Session {
	s, err := Start(Config{Signal: discard{}, Type: proto.CallTypeVideo, LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// feed hands s one relay event and waits until its owner has handled it.
func feed(t testing.TB, s *Session, kind string, payload []byte) {
	s.Handle(&proto.RelayEvent{Kind: kind, Payload: payload})
	done := make(chan struct{})
	s.post(func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("relay %q %q: the session stopped handling events", kind, payload)
	}
}
