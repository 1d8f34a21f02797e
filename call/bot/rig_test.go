package bot_test

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"duet/call"
	"duet/call/bot"
	"duet/call/internal/await"
	"duet/call/leaktest"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
	"duet/devices"
)

const testTimeout = 20 * time.Second

// rig is a real server on loopback, the bots under test and a tester's
// phone with synthetic media.
type rig struct {
	t    *testing.T
	addr string
	db   string
	srv  *server.Server
	// tune, if set before start, adjusts the server's config.
	tune func(*server.Config)
}

func newRig(t *testing.T, tune ...func(*server.Config)) *rig {
	t.Helper()
	leaktest.Check(t)
	r := &rig{t: t, addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "duet.db")}
	if len(tune) > 0 {
		r.tune = tune[0]
	}
	r.start()
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// start serves the rig's database on its address, a free port the first
// time and the same one after.
func (r *rig) start() {
	r.t.Helper()
	cfg := server.Config{DB: r.db, Open: true}
	if r.tune != nil {
		r.tune(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		srv.Close()
		r.t.Fatal(err)
	}
	go srv.Serve(ln)
	r.srv, r.addr = srv, ln.Addr().String()
}

func (r *rig) url() string { return "ws://" + r.addr + "/ws" }

// bot runs a bot with cfg until the test ends; its log records arrive on
// the returned channel (the newest are dropped when nobody reads).
func (r *rig) bot(cfg bot.Config) <-chan slog.Record {
	r.t.Helper()
	logs := make(chan slog.Record, 256)
	cfg.ServerURL, cfg.LoopbackOnly = r.url(), true
	cfg.Logger = slog.New(recordHandler{logs})
	cfg.ReportEvery = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx, cfg) }()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("bot %s: %v", cfg.Account, err)
		}
	})
	return logs
}

// tester is the person at the other end: a phone with synthetic media.
type tester struct {
	*phone.Phone
	events chan call.Event

	mu     sync.Mutex
	frames int // stamped frames received in the current call
}

func (r *rig) tester(account string, adjust func(*call.Config)) *tester {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cfg := call.Config{ServerURL: r.url(), Account: account, DeviceID: account + "-test", ClientType: proto.ClientDesktop}
	if adjust != nil {
		adjust(&cfg)
	}
	c, err := call.Dial(ctx, cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	tp := &tester{events: make(chan call.Event, 256)}
	tp.Phone = phone.New(phone.Config{Client: c, LoopbackOnly: true,
		OnFrame: func(f media.Frame) {
			if _, _, ok := devices.ReadFrameStamp(f.Image); ok {
				tp.mu.Lock()
				tp.frames++
				tp.mu.Unlock()
			}
		},
		OpenCapture: func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true, Video: typ == proto.CallTypeVideo})
		}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range tp.Phone.Events() {
			tp.events <- ev
		}
	}()
	r.t.Cleanup(func() {
		tp.Close()
		<-done
	})
	return tp
}

func (tp *tester) framesSeen() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.frames
}

// waitOnline waits until the tester sees account online.
func (tp *tester) waitOnline(t *testing.T, account string) {
	t.Helper()
	await.Until(t, account+" online", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		cs, err := tp.Client().Contacts(ctx)
		if err != nil {
			return false // reconnecting
		}
		for _, c := range cs {
			if c.Account == account {
				return c.Presence == proto.PresenceOnline
			}
		}
		return false
	})
}

// nextLog returns the bot's next log record with message msg.
func nextLog(t *testing.T, logs <-chan slog.Record, msg string) slog.Record {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case rec := <-logs:
			if rec.Message == msg {
				return rec
			}
		case <-timer.C:
			t.Fatalf("timed out waiting for the bot to log %q", msg)
			return slog.Record{}
		}
	}
}

// attr is a log record's attribute by key.
func attr(rec slog.Record, key string) slog.Value {
	var v slog.Value
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// recordHandler hands every record to a channel, dropping what does not fit.
type recordHandler struct{ out chan<- slog.Record }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordHandler) WithGroup(string) slog.Handler            { return h }
func (h recordHandler) Handle(_ context.Context, rec slog.Record) error {
	select {
	case h.out <- rec.Clone():
	default:
	}
	return nil
}
