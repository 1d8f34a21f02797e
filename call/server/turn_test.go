package server

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/proto"
)

const turnTestTimeout = 10 * time.Second

// Relay ports of the TURN tests: a range of our own, to check it is kept.
const testRelayMin, testRelayMax = 41000, 41999

// turnEnv is a real server with its embedded TURN server on loopback.
type turnEnv struct {
	t   *testing.T
	srv *Server
	url string
}

func newTURNEnv(t *testing.T) *turnEnv {
	t.Helper()
	return newTURNEnvWith(t, nil)
}

// newTURNEnvWith is newTURNEnv with adjust's changes to the TURN config.
func newTURNEnvWith(t *testing.T, adjust func(*TURNConfig)) *turnEnv {
	t.Helper()
	leaktest.Check(t)
	tc := &TURNConfig{Addr: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
		RelayMinPort: testRelayMin, RelayMaxPort: testRelayMax}
	if adjust != nil {
		adjust(tc)
	}
	return startTURNEnv(t, Config{DB: NewTestDB(t), Open: true, TURN: tc})
}

// startTURNEnv serves a server built from cfg on a loopback port until the
// test ends.
func startTURNEnv(t *testing.T, cfg Config) *turnEnv {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &turnEnv{t: t, srv: srv, url: "ws://" + ln.Addr().String() + "/ws"}
}

// signIn signs account in with a real client and returns its TURN server.
func (e *turnEnv) signIn(account string) (*call.Client, proto.ICEServer) {
	e.t.Helper()
	return e.signInAs(account, account)
}

// signInAs is signIn as the device named device.
func (e *turnEnv) signInAs(account, device string) (*call.Client, proto.ICEServer) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), turnTestTimeout)
	defer cancel()
	c, err := call.Dial(ctx, call.Config{ServerURL: e.url, Account: account, DeviceID: device})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	servers := c.Login().ICEServers
	if len(servers) != 1 {
		e.t.Fatalf("login gave %d ICE servers, want the TURN server: %+v", len(servers), servers)
	}
	return c, servers[0]
}

// turnAddr is the host:port of the ICE server's URL for transport.
func turnAddr(t *testing.T, s proto.ICEServer, transport string) string {
	t.Helper()
	for _, u := range s.URLs {
		if rest, ok := strings.CutPrefix(u, "turn:"); ok && strings.HasSuffix(rest, "?transport="+transport) {
			return strings.TrimSuffix(rest, "?transport="+transport)
		}
	}
	t.Fatalf("no turn: URL over %s in %v", transport, s.URLs)
	return ""
}

// allocation is a TURN client's relay, open until the test ends.
type allocation struct {
	relay  net.PacketConn
	client *turn.Client
	conn   net.PacketConn
	tcp    net.Conn // under conn over TCP
}

func (a *allocation) close() {
	a.relay.Close()
	a.client.Close()
	a.conn.Close()
}

// allocate asks the TURN server at addr for a relay with pion/turn's own
// client, over UDP or TCP.
func allocate(t *testing.T, addr, transport, user, pass string) (*allocation, error) {
	t.Helper()
	var conn net.PacketConn
	var tcp net.Conn
	if transport == "tcp" {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn, tcp = turn.NewSTUNConn(c), c
	} else {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	client, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: addr, Username: user, Password: pass,
		Conn: conn, LoggerFactory: lf})
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), turnTestTimeout)
	defer cancel()
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		client.Close()
		conn.Close()
		return nil, err
	}
	a := &allocation{relay: relay, client: client, conn: conn, tcp: tcp}
	t.Cleanup(a.close)
	return a, nil
}

func wantUnauthorized(t *testing.T, what string, err error) {
	t.Helper()
	var te *stun.TurnError
	if !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeUnauthorized {
		t.Fatalf("%s: got %v, want 401 Unauthorized", what, err)
	}
}

// TestTURNCredentials: the credentials handed out at sign-in allocate a
// relay in the configured range over UDP and TCP; wrong, expired, forged
// and other accounts' credentials are refused by the real TURN server.
func TestTURNCredentials(t *testing.T) {
	e := newTURNEnv(t)
	_, alice := e.signIn("alice")
	if !strings.HasSuffix(alice.Username, ":alice") {
		t.Fatalf("alice's TURN username %q is not <expiry>:alice", alice.Username)
	}
	udpAddr, tcpAddr := turnAddr(t, alice, "udp"), turnAddr(t, alice, "tcp")
	if udpAddr != tcpAddr || udpAddr != e.srv.TURNAddr().String() {
		t.Fatalf("TURN URLs %v, server on %s: want UDP and TCP on one port", alice.URLs, e.srv.TURNAddr())
	}

	for _, transport := range []string{"udp", "tcp"} {
		a, err := allocate(t, udpAddr, transport, alice.Username, alice.Credential)
		if err != nil {
			t.Fatalf("allocate over %s with alice's credentials: %v", transport, err)
		}
		relay := a.relay.LocalAddr().(*net.UDPAddr)
		if !relay.IP.Equal(net.IPv4(127, 0, 0, 1)) || relay.Port < testRelayMin || relay.Port > testRelayMax {
			t.Fatalf("relay over %s at %s, want 127.0.0.1:%d-%d", transport, relay, testRelayMin, testRelayMax)
		}
	}

	expiry, _, _ := strings.Cut(alice.Username, ":")
	stale, stalePass := e.srv.turn.creds.issue("alice", time.Now().Add(-DefaultTURNCredentialTTL-time.Minute))
	for _, c := range []struct{ what, user, pass string }{
		{"wrong password", alice.Username, alice.Credential[:len(alice.Credential)-4] + "AAA="},
		{"expired credential, rightly signed", stale, stalePass},
		{"alice's password with bob's name", expiry + ":bob", alice.Credential},
		{"a later expiry with alice's password", "9999999999:alice", alice.Credential},
		{"a username that is no credential", "alice", alice.Credential},
		{"no username", "", ""},
	} {
		_, err := allocate(t, udpAddr, "udp", c.user, c.pass)
		wantUnauthorized(t, c.what, err)
	}
}

// TestTURNCredentialsPerAccount: each account gets its own credentials,
// and startRtc issues fresh ones for the call, as valid as the login's.
func TestTURNCredentialsPerAccount(t *testing.T) {
	e := newTURNEnv(t)
	a, alice := e.signIn("alice")
	b, bob := e.signIn("bob")
	if bob.Username == alice.Username || bob.Credential == alice.Credential || !strings.HasSuffix(bob.Username, ":bob") {
		t.Fatalf("bob got %q/%q, alice %q/%q", bob.Username, bob.Credential, alice.Username, alice.Credential)
	}
	ctx, cancel := context.WithTimeout(context.Background(), turnTestTimeout)
	defer cancel()
	cid, err := a.Call(ctx, "bob", proto.CallTypeAudio, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent[*proto.BeCalling](t, b)
	if err := b.Response(ctx, cid, true); err != nil {
		t.Fatal(err)
	}
	res, err := b.StartRTC(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ICEServers) != 1 || !strings.HasSuffix(res.ICEServers[0].Username, ":bob") {
		t.Fatalf("startRtc gave ICE servers %+v, want bob's TURN credentials", res.ICEServers)
	}
	call := res.ICEServers[0]
	exp, _, err := parseTURNUsername(call.Username)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(time.Unix(exp, 0)); left < DefaultTURNCredentialTTL-time.Minute {
		t.Fatalf("startRtc's credentials expire in %s, want the full TTL from the call's start", left)
	}
	if _, err := allocate(t, turnAddr(t, call, "udp"), "udp", call.Username, call.Credential); err != nil {
		t.Fatalf("allocate with startRtc's credentials: %v", err)
	}
}

func waitEvent[T call.Event](t *testing.T, c *call.Client) T {
	t.Helper()
	timer := time.NewTimer(turnTestTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if got, ok := ev.(T); ok {
				return got
			}
		case <-timer.C:
			var zero T
			t.Fatalf("no %T", zero)
		}
	}
}

// TestTURNClosesWithServer: Close releases live allocations over UDP and
// TCP, closes TCP clients' connections, frees the port and leaves no
// goroutine behind (leaktest).
func TestTURNClosesWithServer(t *testing.T) {
	e := newTURNEnv(t)
	_, alice := e.signIn("alice")
	addr := turnAddr(t, alice, "udp")
	var tcp *allocation
	for _, transport := range []string{"udp", "tcp", "tcp"} {
		a, err := allocate(t, addr, transport, alice.Username, alice.Credential)
		if err != nil {
			t.Fatalf("allocate over %s: %v", transport, err)
		}
		tcp = a
	}
	if n := e.srv.turn.srv.AllocationCount(); n != 3 {
		t.Fatalf("%d allocations, want 3", n)
	}
	if err := e.srv.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	// The server closed the TCP client's connection (the end of a TCP
	// stream is seen by every reader; the client's own reader sees it too).
	tcp.tcp.SetReadDeadline(time.Now().Add(turnTestTimeout))
	if _, err := tcp.tcp.Read(make([]byte, 1500)); !errors.Is(err, io.EOF) {
		t.Fatalf("TCP connection after Close: read %v, want EOF", err)
	}
	// Both ports are free again.
	u, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatalf("UDP port still held: %v", err)
	}
	u.Close()
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatalf("TCP port still held: %v", err)
	}
	l.Close()
}

// TestTURNAllocationQuota: an account holds at most its quota of relays at
// once, over UDP and TCP together; others are not affected, and a relay
// given back makes room for another.
func TestTURNAllocationQuota(t *testing.T) {
	e := newTURNEnvWith(t, func(c *TURNConfig) { c.MaxAllocationsPerAccount = 3 })
	_, alice := e.signIn("alice")
	_, bob := e.signIn("bob")
	udp, tcp := turnAddr(t, alice, "udp"), turnAddr(t, alice, "tcp")
	var held []*allocation
	for i, transport := range []string{"udp", "tcp", "udp"} {
		addr := udp
		if transport == "tcp" {
			addr = tcp
		}
		a, err := allocate(t, addr, transport, alice.Username, alice.Credential)
		if err != nil {
			t.Fatalf("alice's relay %d over %s: %v", i+1, transport, err)
		}
		held = append(held, a)
	}
	_, err := allocate(t, udp, "udp", alice.Username, alice.Credential)
	var te *stun.TurnError
	if !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeAllocQuotaReached {
		t.Fatalf("alice's fourth relay: got %v, want 486 Allocation Quota Reached", err)
	}
	if _, err := allocate(t, udp, "udp", bob.Username, bob.Credential); err != nil {
		t.Fatalf("bob's relay while alice is at her quota: %v", err)
	}
	held[0].close() // gives the relay back (a refresh with lifetime 0)
	deadline := time.Now().Add(turnTestTimeout)
	for {
		_, err := allocate(t, udp, "udp", alice.Username, alice.Credential)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice's relay after giving one back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
