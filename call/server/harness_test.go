package server_test

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"testing"
	"time"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/proto"
	"duet/call/server"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// env is a real server on a loopback port with a real database file.
type env struct {
	t      *testing.T
	cfg    server.Config
	srv    *server.Server
	url    string
	addr   string
	tokens map[string]string
	// logs keeps what the server logs unless the test gave it a logger.
	logs *logSink
	// nodes are the servers of a cluster env, whose url is the proxy in
	// front of them (cluster_flow_test.go); nil for a single server.
	nodes []*env
	// signedIn is the node of each device dialled on a cluster env, by
	// "account/device", and order the order they were dialled in.
	signedIn map[string]string
	order    []string
}

// newEnv starts a server. mutate adjusts its config (short timeouts).
func newEnv(t *testing.T, mutate func(*server.Config)) *env {
	t.Helper()
	leaktest.Check(t)
	server.SetTokenHashCost(t, 1, 64)
	logs := newLogSink()
	logs.dumpOnFailure(t)
	cfg := server.Config{DB: server.NewTestDB(t), Logger: logs.logger()}
	if mutate != nil {
		mutate(&cfg)
	}
	e := &env{t: t, cfg: cfg, tokens: map[string]string{}, logs: logs}
	e.start("127.0.0.1:0")
	t.Cleanup(e.stop)
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		e.addAccount(name)
	}
	return e
}

func (e *env) start(addr string) {
	e.t.Helper()
	srv, err := server.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e.t.Fatal(err)
	}
	scheme := "ws"
	if e.cfg.TLSCertFile != "" {
		scheme = "wss"
	}
	e.srv, e.addr, e.url = srv, ln.Addr().String(), scheme+"://"+ln.Addr().String()+"/ws"
	go srv.Serve(ln)
}

func (e *env) stop() {
	if e.srv != nil {
		if err := e.srv.Close(); err != nil {
			e.t.Errorf("close server: %v", err)
		}
		e.srv = nil
	}
	http.DefaultClient.CloseIdleConnections()
}

// restart stops the server and starts a new one on the same database and port.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start(e.addr)
}

func (e *env) addAccount(name string) {
	e.t.Helper()
	tok, err := server.AddAccount(context.Background(), e.cfg.DB, name)
	if err != nil {
		e.t.Fatal(err)
	}
	e.tokens[name] = tok
}

// dial signs account in as device; the client is closed at cleanup.
func (e *env) dial(account, device string, mutate ...func(*call.Config)) *call.Client {
	e.t.Helper()
	cfg := call.Config{ServerURL: e.url, Account: account, Token: e.tokens[account], DeviceID: device,
		ClientType: proto.ClientDesktop}
	for _, m := range mutate {
		m(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := call.Dial(ctx, cfg)
	if err != nil {
		e.t.Fatalf("dial %s/%s: %v", account, device, err)
	}
	e.t.Cleanup(func() { c.Close() })
	if e.nodes != nil {
		name := account + "/" + device
		e.signedIn[name] = e.awaitDevice(account, device)
		e.order = append(e.order, name)
	}
	return c
}

// recordAfterRestart restarts the server and reads cid's record back
// through a fresh client of account: records must survive the restart.
func (e *env) recordAfterRestart(account, cid string) proto.CallRecord {
	e.t.Helper()
	if e.nodes != nil {
		return e.clusterRecord(account, cid)
	}
	e.restart()
	c := e.dial(account, "history-reader")
	defer c.Close()
	before := int64(0)
	for {
		page, err := c.History(ctx(e.t), before, 50)
		if err != nil {
			e.t.Fatalf("history: %v", err)
		}
		for _, r := range page.Records {
			if r.CID == cid {
				return r
			}
		}
		if page.Next == 0 {
			e.t.Fatalf("no record of call %s in %s's history after restart", cid, account)
		}
		before = page.Next
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return c
}

// background events interleave with any flow; expect skips them.
func background(ev call.Event) bool {
	switch ev.(type) {
	case *proto.PresenceChanged, *proto.CallRecordEvent:
		return true
	}
	return false
}

// expect returns c's next event of type T, skipping background events; any
// other event fails the test.
func expect[T call.Event](t *testing.T, c *call.Client) T {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	var zero T
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("%s: events closed while waiting for %T", c.Account(), zero)
			}
			if got, ok := ev.(T); ok {
				return got
			}
			if background(ev) {
				continue
			}
			t.Fatalf("%s: want %T, got %T %+v", c.Account(), zero, ev, ev)
		case <-timer.C:
			t.Fatalf("%s: no %T within %s", c.Account(), zero, testTimeout)
		}
	}
}

// expectQuiet fails if c gets a non-background event within d.
func expectQuiet(t *testing.T, c *call.Client, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("%s: events closed", c.Account())
			}
			if !background(ev) {
				t.Fatalf("%s: unexpected %T %+v", c.Account(), ev, ev)
			}
		case <-timer.C:
			return
		}
	}
}

// waitRecord waits for the callRecord event of cid on c.
func waitRecord(t *testing.T, c *call.Client, cid string) proto.CallRecord {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("%s: events closed while waiting for the record of %s", c.Account(), cid)
			}
			if r, ok := ev.(*proto.CallRecordEvent); ok && r.CID == cid {
				return r.CallRecord
			}
		case <-timer.C:
			t.Fatalf("%s: no record of %s within %s", c.Account(), cid, testTimeout)
		}
	}
}

func wantCode(t *testing.T, err error, code proto.Code) {
	t.Helper()
	if got := proto.CodeOf(err); got != code {
		t.Fatalf("want error code %q, got %v", code, err)
	}
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
}

// placeCall has caller call callee and waits for beCalling on each of ringing.
func placeCall(t *testing.T, caller *call.Client, callee string, typ proto.CallType, ringing ...*call.Client) string {
	t.Helper()
	cid, err := caller.Call(ctx(t), callee, typ, call.CallOptions{Custom: "hello from " + caller.Account()})
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	for _, c := range ringing {
		bc := expect[*proto.BeCalling](t, c)
		wantEqual(t, "beCalling", *bc, proto.BeCalling{CID: cid, Caller: caller.Account(), Type: typ,
			Custom: "hello from " + caller.Account(), Timetag: bc.Timetag})
	}
	return cid
}

// connect answers on callee and has both join the room, returning after
// both know about each other.
func connect(t *testing.T, caller, callee *call.Client, cid string) {
	t.Helper()
	if err := callee.Response(ctx(t), cid, true); err != nil {
		t.Fatalf("accept: %v", err)
	}
	expect[*proto.CallAccepted](t, caller)
	if _, err := caller.StartRTC(ctx(t), 0); err != nil {
		t.Fatalf("caller startRtc: %v", err)
	}
	expect[*proto.SyncDone](t, caller)
	if _, err := callee.StartRTC(ctx(t), 0); err != nil {
		t.Fatalf("callee startRtc: %v", err)
	}
	expect[*proto.SyncDone](t, callee)
	expect[*proto.ClientJoin](t, caller)
}

// relayReaches: a media relay from one party of an answered call arrives
// at the other.
func relayReaches(t *testing.T, from, to *call.Client) {
	t.Helper()
	if err := from.Relay(ctx(t), "media", map[string]bool{"audio": true}); err != nil {
		t.Fatalf("%s relays: %v", from.Account(), err)
	}
	expect[*proto.RelayEvent](t, to)
}

// hangupReaches: one party hangs up and the other is told it left and
// the call ended.
func hangupReaches(t *testing.T, from, to *call.Client) {
	t.Helper()
	if err := from.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, to)
	expect[*proto.HangupEvent](t, to)
}
