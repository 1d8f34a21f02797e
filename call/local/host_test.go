package local_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/internal/await"
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
	return dialPhoneWith(t, ctx, serverURL, account, token, false)
}

// dialPhoneWith is dialPhone with relayOnly: media through TURN only.
func dialPhoneWith(t *testing.T, ctx context.Context, serverURL, account, token string, relayOnly bool) (*testPhone, error) {
	t.Helper()
	c, err := call.Dial(ctx, call.Config{ServerURL: serverURL, Account: account, Token: token,
		DeviceID: account + "-test", ClientType: proto.ClientDesktop})
	if err != nil {
		return nil, err
	}
	tp := &testPhone{events: make(chan call.Event, 256)}
	tp.Phone = phone.New(phone.Config{Client: c, LoopbackOnly: true, RelayOnly: relayOnly,
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
// the host, calls Echo test and the host with real media through the relay
// hosted for guests, and loses the call cleanly when hosting stops, while
// the host stays signed in. The hosted address is 127.0.0.2, standing in
// for the LAN: the guests' relay must be there, not on the loopback
// address the host's own relay has.
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
	lanURL, err := l.Host(lanHost + ":0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(lanURL)
	if err != nil || u.Scheme != "ws" || u.Path != "/ws" || u.Hostname() != lanHost {
		t.Fatalf("hosting URL %q (loopback %q)", lanURL, l.URL())
	}
	if again, err := l.Host(lanHost + ":0"); err != nil || again != lanURL || l.HostingURL() != lanURL {
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
	guest, err := dialPhoneWith(t, ctx, lanURL, "guest", token, true)
	if err != nil {
		t.Fatalf("invited guest: %v", err)
	}
	if p := presence(t, ctx, guest.Client(), "me"); p != proto.PresenceOnline {
		t.Fatalf("guest sees the host as %v", p)
	}
	wantRelayOn(t, "guest", guest.Client().ICEServers(), lanHost)
	for _, builtIn := range []string{local.EchoAccount, local.TestBotAccount} {
		if p := presence(t, ctx, guest.Client(), builtIn); p != proto.PresenceOnline {
			t.Fatalf("guest sees %s as %v", builtIn, p)
		}
	}

	// Always relay, through the guests' relay: Echo test sends our frames back.
	if _, err := guest.Call(ctx, local.EchoAccount, proto.CallTypeVideo, call.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	echo := await.Event[*phone.MediaStarted](t, guest.events).Session
	await.Until(t, "our video back from Echo test", func() bool { return guest.framesSeen() >= 10 })
	await.Until(t, "stats of the selected candidate pair", func() bool {
		return echo.Stats().LocalCandidate != webrtc.ICECandidateTypeUnknown
	})
	if st := echo.Stats(); st.LocalCandidate != webrtc.ICECandidateTypeRelay {
		t.Fatalf("guest's always-relay call to Echo test went over a %s candidate", st.LocalCandidate)
	}
	if err := guest.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	await.Event[*phone.MediaEnded](t, guest.events)

	cid, err := guest.Call(ctx, "me", proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bc := await.Event[*proto.BeCalling](t, host.events); bc.Caller != "guest" || bc.CID != cid {
		t.Fatalf("host rang for %+v", bc)
	}
	if err := host.Accept(ctx, cid, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	await.Event[*phone.MediaStarted](t, host.events)
	await.Event[*phone.MediaStarted](t, guest.events)
	guestFrames := guest.framesSeen()
	await.Until(t, "video both ways", func() bool { return host.framesSeen() >= 10 && guest.framesSeen() >= guestFrames+10 })
	// The host's own list has the guests' relay too, to reach them relay to relay.
	wantRelayOn(t, "host", host.Client().ICEServers(), "127.0.0.1", lanHost)

	if err := l.StopHosting(); err != nil {
		t.Fatal(err)
	}
	if l.HostingURL() != "" {
		t.Fatal("still hosting after StopHosting")
	}
	if h := await.Event[*proto.HangupEvent](t, host.events); h.CID != cid || h.Reason != proto.ReasonNetworkLost {
		t.Fatalf("host: %+v", h)
	}
	await.Event[*phone.MediaEnded](t, host.events)
	if h := await.Event[*proto.HangupEvent](t, guest.events); h.CID != cid {
		t.Fatalf("guest: %+v", h)
	}
	await.Event[*call.Disconnected](t, guest.events)
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
	lanURL, err = l.Host(lanHost + ":0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialPhone(t, ctx, lanURL, "guest", token); err != nil {
		t.Fatalf("guest after hosting again: %v", err)
	}
}

// Starting and stopping hosting leaves a call with a built-in contact
// alone: it goes on, on loopback, and ends when the user hangs up.
func TestHostingLeavesCallsWithBuiltInsAlone(t *testing.T) {
	leaktest.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	l, err := local.Start(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	me, err := dialPhone(t, ctx, l.URL(), "me", "")
	if err != nil {
		t.Fatal(err)
	}
	await.Until(t, "Test bot online", func() bool {
		return presence(t, ctx, me.Client(), local.TestBotAccount) == proto.PresenceOnline
	})
	if _, err := me.Call(ctx, local.TestBotAccount, proto.CallTypeVideo, call.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	await.Event[*phone.MediaStarted](t, me.events)
	framesGoOn := func(what string) {
		t.Helper()
		from := me.framesSeen()
		await.Until(t, "Test bot's video "+what, func() bool { return me.framesSeen() >= from+30 })
	}
	framesGoOn("before hosting")
	if _, err := l.Host(lanHost + ":0"); err != nil {
		t.Fatal(err)
	}
	framesGoOn("while hosting")
	if err := l.StopHosting(); err != nil {
		t.Fatal(err)
	}
	framesGoOn("after hosting")
	for drained := false; !drained; {
		select {
		case ev := <-me.events:
			switch ev.(type) {
			case *proto.HangupEvent, *phone.MediaEnded, *call.Disconnected, *call.Reconnecting:
				t.Fatalf("the call saw %T %+v", ev, ev)
			}
		default:
			drained = true
		}
	}
	if err := me.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	await.Event[*phone.MediaEnded](t, me.events)
}

// lanHost stands in for the LAN address in tests: a loopback address
// other than the embedded server's.
const lanHost = "127.0.0.2"

// wantRelayOn checks that the TURN servers handed to who are on the hosts
// given, each of them, and no other.
func wantRelayOn(t *testing.T, who string, servers []proto.ICEServer, hosts ...string) {
	t.Helper()
	var got []string
	for _, s := range servers {
		for _, raw := range s.URLs {
			rest, ok := strings.CutPrefix(raw, "turn:")
			if !ok {
				continue
			}
			hostPort, _, _ := strings.Cut(rest, "?")
			h, _, err := net.SplitHostPort(hostPort)
			if err != nil {
				t.Fatalf("%s: TURN URL %q: %v", who, raw, err)
			}
			if !slices.Contains(got, h) {
				got = append(got, h)
			}
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(hosts))
	if !slices.Equal(got, want) {
		t.Fatalf("%s's relays are on %v, want %v", who, got, want)
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
