package phone_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
	"duet/devices"
)

const testTimeout = 20 * time.Second

// rig is a real server on loopback with phones that send synthetic media.
type rig struct {
	t   testing.TB
	url string
	// client adjusts each phone's signaling client (reconnect settings).
	client func(*call.Config)
}

func newRig(t testing.TB) *rig {
	t.Helper()
	leaktest.Check(t)
	srv, err := server.New(server.Config{DB: filepath.Join(t.TempDir(), "duet.db"), Open: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &rig{t: t, url: "ws://" + ln.Addr().String() + "/ws"}
}

// testPhone is a phone whose events and decoded frames the test watches.
type testPhone struct {
	*phone.Phone
	account string
	toneHz  float64
	events  chan call.Event

	mu      sync.Mutex
	frames  []uint32 // stamps of every decoded remote frame of the current call
	sizes   map[[2]int]int
	onStamp func(media.Frame) // called with mu held
}

func (r *rig) phone(account string, toneHz float64, opts ...func(*phone.Config)) *testPhone {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ccfg := call.Config{ServerURL: r.url, Account: account, ClientType: proto.ClientBot, DeviceID: account}
	if r.client != nil {
		r.client(&ccfg)
	}
	c, err := call.Dial(ctx, ccfg)
	if err != nil {
		r.t.Fatal(err)
	}
	tp := &testPhone{account: account, toneHz: toneHz, events: make(chan call.Event, 256), sizes: map[[2]int]int{}}
	cfg := phone.Config{Client: c, LoopbackOnly: true, OnFrame: tp.onFrame, Logger: debugLogger(r.t, account),
		OpenCapture: func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true,
				Video: typ == proto.CallTypeVideo, ToneHz: toneHz})
		}}
	for _, o := range opts {
		o(&cfg)
	}
	tp.Phone = phone.New(cfg)
	go func() {
		for ev := range tp.Phone.Events() {
			tp.events <- ev
		}
		close(tp.events)
	}()
	r.t.Cleanup(func() { tp.Close() })
	return tp
}

func (p *testPhone) onFrame(f media.Frame) {
	n, _, ok := devices.ReadFrameStamp(f.Image)
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		p.frames = append(p.frames, n)
	}
	p.sizes[[2]int{f.Image.Rect.Dx(), f.Image.Rect.Dy()}]++
	if p.onStamp != nil {
		p.onStamp(f)
	}
}

func (p *testPhone) resetFrames() {
	p.mu.Lock()
	p.frames, p.sizes = nil, map[[2]int]int{}
	p.mu.Unlock()
}

func (p *testPhone) frameStamps() []uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]uint32(nil), p.frames...)
}

// expect returns p's next event of type T, skipping the others.
func expect[T call.Event](t testing.TB, p *testPhone) T {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				var zero T
				t.Fatalf("%s: events closed while waiting for %T", p.account, zero)
			}
			if got, ok := ev.(T); ok {
				return got
			}
		case <-timer.C:
			var zero T
			t.Fatalf("%s: no %T within %s", p.account, zero, testTimeout)
		}
	}
}

// eventually polls cond until it holds or the test times out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// connectCall has caller call callee, callee accept, and returns both sessions.
func connectCall(t testing.TB, caller, callee *testPhone, typ proto.CallType) (cid string, a, b *media.Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	caller.resetFrames()
	callee.resetFrames()
	cid, err := caller.Call(ctx, callee.account, typ, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.BeCalling](t, callee)
	if err := callee.Accept(ctx, cid, typ); err != nil {
		t.Fatal(err)
	}
	b = expect[*phone.MediaStarted](t, callee).Session
	a = expect[*phone.MediaStarted](t, caller).Session
	return cid, a, b
}

func timeoutC() <-chan time.Time { return time.After(testTimeout) }

// hangupAlternating ends the current call from a on even rounds and from b
// on odd ones, and waits until both have torn their media down.
func hangupAlternating(t testing.TB, round int, a, b *testPhone) {
	t.Helper()
	ender, other := a, b
	if round%2 == 1 {
		ender, other = b, a
	}
	if err := ender.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaEnded](t, ender)
	expect[*phone.MediaEnded](t, other)
}

// debugLogger logs a phone's negotiation and Pion's own messages into the
// test's output (shown when it fails) if DUET_DEBUG_LOG is set.
func debugLogger(t testing.TB, name string) *slog.Logger {
	if os.Getenv("DUET_DEBUG_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})).With("phone", name)
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
