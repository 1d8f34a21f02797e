package media_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/vnet"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/media"
	"duet/call/proto"
	"duet/call/server"
	"duet/devices"
)

const testTimeout = 30 * time.Second

// rig is the real signaling server on loopback.
type rig struct {
	t   testing.TB
	url string
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

// lan is a virtual network for two peers whose link the test can cut:
// while it is down the router drops every packet, both ways.
type lan struct {
	a, b *vnet.Net
	down atomic.Bool
}

func newLAN(t testing.TB) *lan {
	t.Helper()
	quiet := &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled,
		ScopeLevels: map[string]logging.LogLevel{}}
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.7.0.0/24", LoggerFactory: quiet})
	if err != nil {
		t.Fatal(err)
	}
	l := &lan{}
	for _, n := range []struct {
		net **vnet.Net
		ip  string
	}{{&l.a, "10.7.0.2"}, {&l.b, "10.7.0.3"}} {
		if *n.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{n.ip}}); err != nil {
			t.Fatal(err)
		}
		if err := router.AddNet(*n.net); err != nil {
			t.Fatal(err)
		}
	}
	router.AddChunkFilter(func(vnet.Chunk) bool { return !l.down.Load() })
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { router.Stop() })
	return l
}

// gate is a session's signaler: the peer's current client, or while
// closed the error a client without a connection gives.
type gate struct {
	c             atomic.Pointer[call.Client]
	closed        atomic.Bool
	refusedOffers atomic.Int64
	// While held is set, an offer waits for it to be closed (and
	// everything the session relays after it waits behind it).
	held       atomic.Pointer[chan struct{}]
	heldOffers atomic.Int64
}

// holdOffers makes offers wait until the returned function is called.
func (g *gate) holdOffers() (release func()) {
	ch := make(chan struct{})
	g.held.Store(&ch)
	return func() {
		g.held.Store(nil)
		close(ch)
	}
}

func (g *gate) Relay(ctx context.Context, kind string, payload any) error {
	if h := g.held.Load(); h != nil && kind == "offer" {
		g.heldOffers.Add(1)
		select {
		case <-*h:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if g.closed.Load() {
		if kind == "offer" {
			g.refusedOffers.Add(1)
		}
		return fmt.Errorf("relay %s: %w", kind, call.ErrClosed)
	}
	return g.c.Load().Relay(ctx, kind, payload)
}

// peer is one signed-in client with its call's media session; it feeds
// the session the room's events, as the phone does, and records what the
// session reports.
type peer struct {
	t       testing.TB
	r       *rig
	name    string
	client  *call.Client   // the current one
	clients []*call.Client // every one signed in, to close
	fwd     sync.WaitGroup // forwarding the clients' events
	gate    *gate
	signals chan call.Event
	logs    *logRecorder
	frames  atomic.Int64
	stamp   atomic.Uint32 // of the newest decoded frame
	// Once resume is set, the next decoded frame stores its time.
	resume    atomic.Bool
	resumedAt atomic.Int64 // unix nanoseconds
	// capture, if set before start, replaces the small test pattern;
	// onFrame, if set, sees every decoded frame too.
	capture *devices.CaptureConfig
	onFrame func(media.Frame)

	mu      sync.Mutex
	session *media.Session // guarded by mu
	events  []stamped      // guarded by mu: everything the session emitted
	done    chan struct{}  // closed when the session's events end
}

func (r *rig) peer(name string) *peer {
	r.t.Helper()
	p := &peer{t: r.t, r: r, name: name, gate: &gate{}, signals: make(chan call.Event, 1024),
		logs: &logRecorder{}, done: make(chan struct{})}
	r.t.Cleanup(func() {
		if r.t.Failed() {
			r.t.Logf("%s logged:\n%s", name, p.logs.dump())
		}
		if s := p.media(); s != nil {
			s.Close()
			<-p.done
		}
		for _, c := range p.clients {
			c.Close()
		}
		p.fwd.Wait()
	})
	p.signIn()
	return p
}

// signIn signs the peer in, again after a lost connection: with the same
// device, so the server hands the call back.
func (p *peer) signIn() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := call.Dial(ctx, call.Config{ServerURL: p.r.url, Account: p.name, ClientType: proto.ClientBot, DeviceID: p.name})
	if err != nil {
		p.t.Fatal(err)
	}
	p.client = c
	p.clients = append(p.clients, c)
	p.gate.c.Store(c)
	p.fwd.Add(1)
	go func() {
		defer p.fwd.Done()
		for ev := range c.Events() {
			switch ev.(type) {
			case *proto.ClientJoin, *proto.RelayEvent:
				if s := p.media(); s != nil {
					s.Handle(ev)
				}
			}
			select {
			case p.signals <- ev:
			default:
			}
		}
	}()
}

func (p *peer) media() *media.Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.session
}

// start opens a synthetic capture (small, to spare the CPU) and starts the
// call's media on it.
func (p *peer) start(ctx context.Context, cfg media.Config) {
	p.t.Helper()
	cc := devices.CaptureConfig{Synthetic: true, Audio: true, Video: true,
		Width: 320, Height: 240, FPS: 15, VideoBitrate: 300_000}
	if p.capture != nil {
		cc = *p.capture
	}
	capture, err := devices.Open(ctx, cc)
	if err != nil {
		p.t.Fatal(err)
	}
	if cfg.Type == 0 {
		cfg.Type = proto.CallTypeVideo
	}
	cfg.Signal, cfg.Capture = p.gate, capture
	cfg.Logger = slog.New(p.logs)
	cfg.OnFrame = func(f media.Frame) {
		if p.resume.CompareAndSwap(true, false) {
			p.resumedAt.Store(f.Decoded.UnixNano())
		}
		p.frames.Add(1)
		if n, _, ok := devices.ReadFrameStamp(f.Image); ok {
			p.stamp.Store(n)
		}
		if p.onFrame != nil {
			p.onFrame(f)
		}
	}
	s, err := media.Start(cfg)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.session = s
	p.mu.Unlock()
	go func() {
		defer close(p.done)
		for ev := range s.Events() {
			p.mu.Lock()
			p.events = append(p.events, stamped{ev, time.Now()})
			p.mu.Unlock()
		}
	}()
}

type stamped struct {
	ev media.Event
	at time.Time // when the test read it
}

// mediaEvents returns what the session emitted so far that matches keep.
func (p *peer) mediaEvents(keep func(media.Event) bool) []media.Event {
	var out []media.Event
	for _, e := range p.stampedEvents(keep) {
		out = append(out, e.ev)
	}
	return out
}

func (p *peer) stampedEvents(keep func(media.Event) bool) []stamped {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(p.events), func(e stamped) bool { return !keep(e.ev) })
}

func count[T media.Event](p *peer) int {
	return len(p.mediaEvents(func(ev media.Event) bool { _, ok := ev.(T); return ok }))
}

// connect has caller call callee, who answers; each starts media with its
// config, as the phone does: before joining the room. The callee joins
// first, so it makes the first offer.
func connect(t testing.TB, caller, callee *peer, callerCfg, calleeCfg media.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cid, err := caller.client.Call(ctx, callee.name, proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.BeCalling](t, callee)
	if err := callee.client.Response(ctx, cid, true); err != nil {
		t.Fatal(err)
	}
	callee.start(ctx, calleeCfg)
	if _, err := callee.client.StartRTC(ctx, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	expect[*proto.CallAccepted](t, caller)
	caller.start(ctx, callerCfg)
	if _, err := caller.client.StartRTC(ctx, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
}

// expect returns p's next signaling event of type T, skipping the others.
func expect[T call.Event](t testing.TB, p *peer) T {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case ev := <-p.signals:
			if got, ok := ev.(T); ok {
				return got
			}
		case <-timer.C:
			var zero T
			t.Fatalf("%s: no %T within %s", p.name, zero, testTimeout)
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

// logRecorder keeps what a session logs at Info and above.
type logRecorder struct {
	debug bool // set before use: record Debug too
	mu    sync.Mutex
	msgs  []string // guarded by mu
	lines []string // guarded by mu: time, message and attributes
}

func (l *logRecorder) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || l.debug
}
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	line := r.Time.Format("15:04:05.000") + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) dump() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) has(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.msgs, msg)
}

// vnetConfig is a session on the virtual network n with ICE timeouts short
// enough for a test.
func vnetConfig(n transport.Net, ice media.ICEConfig) media.Config {
	ice.DisconnectedTimeout, ice.FailedTimeout, ice.KeepaliveInterval = time.Second, time.Second, 200*time.Millisecond
	return media.Config{Net: n, ICE: ice}
}
