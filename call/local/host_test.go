package local_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/local"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
	"duet/devices"
)

// testPhone is a signed-in phone with synthetic media whose events and
// received frame stamps the test reads.
type testPhone struct {
	*phone.Phone
	events chan call.Event
	mu     sync.Mutex
	frames int // guarded by mu: stamped frames received
}

func dialPhone(t *testing.T, ctx context.Context, serverURL, account, token string) (*testPhone, error) {
	t.Helper()
	c, err := call.Dial(ctx, call.Config{ServerURL: serverURL, Account: account, Token: token,
		DeviceID: account + "-test", ClientType: proto.ClientDesktop})
	if err != nil {
		return nil, err
	}
	tp := &testPhone{events: make(chan call.Event, 256)}
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
	go func() {
		for ev := range tp.Phone.Events() {
			tp.events <- ev
		}
		close(tp.events)
	}()
	t.Cleanup(func() { tp.Close() })
	return tp, nil
}

func (tp *testPhone) framesSeen() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.frames
}

func presence(t *testing.T, ctx context.Context, c *call.Client, account string) proto.Presence {
	t.Helper()
	cs, err := c.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		if x.Account == account {
			return x.Presence
		}
	}
	return proto.PresenceUnknown
}

// Hosting opens a second listener that wants tokens: strangers, the host's
// own name and made-up tokens are refused; an invited guest signs in, sees
// the host, calls it with real media, and loses the call cleanly when
// hosting stops, while the host stays signed in.
func TestHost(t *testing.T) {
	leaktest.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	l, err := local.Start(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	host, err := dialPhone(t, ctx, l.URL(), "me", "")
	if err != nil {
		t.Fatal(err)
	}

	if l.HostingURL() != "" {
		t.Fatal("hosting before Host")
	}
	lanURL, err := l.Host("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(lanURL)
	if err != nil || u.Scheme != "ws" || u.Path != "/ws" || u.Hostname() != "127.0.0.1" || lanURL == l.URL() {
		t.Fatalf("hosting URL %q (loopback %q)", lanURL, l.URL())
	}
	if again, err := l.Host("127.0.0.1:0"); err != nil || again != lanURL || l.HostingURL() != lanURL {
		t.Fatalf("Host again: %q %v, HostingURL %q; want %q", again, err, l.HostingURL(), lanURL)
	}

	for _, who := range []struct{ account, token string }{
		{"stranger", ""}, {"stranger", "guess"}, {"me", ""}, {"me", "guess"}, {local.EchoAccount, ""},
	} {
		if _, err := dialPhone(t, ctx, lanURL, who.account, who.token); !errors.Is(err, call.ErrUnauthorized) {
			t.Fatalf("%q with token %q on the LAN listener: got %v, want unauthorized", who.account, who.token, err)
		}
	}
	if _, err := l.Invite(ctx, "me"); !errors.Is(err, server.ErrSignsInWithoutToken) {
		t.Fatalf("inviting the host's own name: %v", err)
	}
	if _, err := l.Invite(ctx, local.EchoAccount); !errors.Is(err, local.ErrBuiltIn) {
		t.Fatalf("inviting a built-in contact: %v", err)
	}
	token, err := l.Invite(ctx, "guest")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialPhone(t, ctx, lanURL, "guest", token+"x"); !errors.Is(err, call.ErrUnauthorized) {
		t.Fatalf("guest with a wrong token: %v", err)
	}
	guest, err := dialPhone(t, ctx, lanURL, "guest", token)
	if err != nil {
		t.Fatalf("invited guest: %v", err)
	}
	if p := presence(t, ctx, guest.Client(), "me"); p != proto.PresenceOnline {
		t.Fatalf("guest sees the host as %v", p)
	}
	// The built-in contacts came back after restarting for the LAN.
	waitFor(t, "built-in contacts online", func() bool {
		return presence(t, ctx, guest.Client(), local.EchoAccount) == proto.PresenceOnline &&
			presence(t, ctx, guest.Client(), local.TestBotAccount) == proto.PresenceOnline
	})

	cid, err := guest.Call(ctx, "me", proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bc := next[*proto.BeCalling](t, host.events); bc.Caller != "guest" || bc.CID != cid {
		t.Fatalf("host rang for %+v", bc)
	}
	if err := host.Accept(ctx, cid, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	next[*phone.MediaStarted](t, host.events)
	next[*phone.MediaStarted](t, guest.events)
	waitFor(t, "video both ways", func() bool { return host.framesSeen() >= 10 && guest.framesSeen() >= 10 })

	if err := l.StopHosting(); err != nil {
		t.Fatal(err)
	}
	if l.HostingURL() != "" {
		t.Fatal("still hosting after StopHosting")
	}
	if h := next[*proto.HangupEvent](t, host.events); h.CID != cid || h.Reason != proto.ReasonNetworkLost {
		t.Fatalf("host: %+v", h)
	}
	next[*phone.MediaEnded](t, host.events)
	if h := next[*proto.HangupEvent](t, guest.events); h.CID != cid {
		t.Fatalf("guest: %+v", h)
	}
	next[*call.Disconnected](t, guest.events)
	if _, err := dialPhone(t, ctx, lanURL, "guest", token); err == nil {
		t.Fatal("signed in after StopHosting")
	}
	if p := presence(t, ctx, host.Client(), local.EchoAccount); p == proto.PresenceUnknown {
		t.Fatal("host lost its contacts")
	}
	if err := l.StopHosting(); err != nil {
		t.Fatalf("StopHosting when not hosting: %v", err)
	}
	// Hosting again works, with the same invitation.
	lanURL, err = l.Host("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialPhone(t, ctx, lanURL, "guest", token); err != nil {
		t.Fatalf("guest after hosting again: %v", err)
	}
}

// A taken port falls back to a free one on the same address.
func TestHostPortTaken(t *testing.T) {
	leaktest.Check(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	l, err := local.Start(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := l.Host(taken.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	if u.Hostname() != "127.0.0.1" || u.Port() == strconv.Itoa(taken.Addr().(*net.TCPAddr).Port) || u.Port() == "0" {
		t.Fatalf("hosting URL %q with %s taken", got, taken.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	token, err := l.Invite(ctx, "guest")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialPhone(t, ctx, got, "guest", token); err != nil {
		t.Fatal(err)
	}
}

// On a machine with a network, the detected LAN address is a non-loopback
// IPv4 address that hosting can listen on; without one, the error says so.
func TestLANAddr(t *testing.T) {
	leaktest.Check(t)
	a, err := local.LANAddr()
	if errors.Is(err, local.ErrNoLAN) {
		t.Skipf("no LAN on this machine: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !a.Is4() || a.IsLoopback() || a.IsUnspecified() {
		t.Fatalf("LAN address %s", a)
	}
	l, err := local.Start(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := l.Host(netip.AddrPortFrom(a, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(got); u.Hostname() != a.String() {
		t.Fatalf("hosting URL %q, want host %s", got, a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	token, err := l.Invite(ctx, "guest")
	if err != nil {
		t.Fatal(err)
	}
	// Signaling only: media in tests stays on loopback.
	c, err := call.Dial(ctx, call.Config{ServerURL: got, Account: "guest", Token: token, ClientType: proto.ClientDesktop})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
