package phone_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
)

// newRelayRig is a rig whose server runs its embedded TURN server on
// loopback, the relay included.
// ttl 0 takes the default credential lifetime.
func newRelayRig(t testing.TB, ttl time.Duration) *rig {
	t.Helper()
	leaktest.Check(t)
	srv, err := server.New(server.Config{DB: filepath.Join(t.TempDir(), "duet.db"), Open: true,
		TURN: &server.TURNConfig{Addr: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
			RelayMinPort: 43000, RelayMaxPort: 43999, CredentialTTL: ttl}})
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
	return &rig{t: t, url: "ws://" + ln.Addr().String() + "/ws"}
}

// spy is a websocket proxy in front of the signaling server that keeps
// what its client relays to the peer: what the peer learns about it.
type spy struct {
	url string

	mu      sync.Mutex
	relayed []proto.Relay // guarded by mu
}

func newSpy(t *testing.T, target string) *spy {
	t.Helper()
	s := &spy{}
	var handlers sync.WaitGroup
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		in, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer in.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
		defer cancel()
		out, _, err := websocket.Dial(ctx, target, nil)
		if err != nil {
			return
		}
		defer out.CloseNow()
		in.SetReadLimit(proto.MaxMessageSize)
		out.SetReadLimit(1 << 20)
		var pumps sync.WaitGroup
		pumps.Add(2)
		go s.pump(ctx, cancel, &pumps, in, out, true)
		go s.pump(ctx, cancel, &pumps, out, in, false)
		pumps.Wait()
	}))
	t.Cleanup(func() {
		hs.Close()
		handlers.Wait()
	})
	s.url = "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	return s
}

func (s *spy) pump(ctx context.Context, stop func(), wg *sync.WaitGroup, from, to *websocket.Conn, fromClient bool) {
	defer wg.Done()
	defer stop()
	for {
		typ, msg, err := from.Read(ctx)
		if err != nil {
			return
		}
		if fromClient {
			s.record(msg)
		}
		if err := to.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

func (s *spy) record(msg []byte) {
	env, err := proto.DecodeEnvelope(msg)
	if err != nil || env.Type != proto.TypeRelay {
		return
	}
	var r proto.Relay
	if json.Unmarshal(env.Data, &r) != nil {
		return
	}
	s.mu.Lock()
	s.relayed = append(s.relayed, r)
	s.mu.Unlock()
}

// candidates are the ICE candidate lines the client sent its peer, trickled
// or inside its offer or answer.
func (s *spy) candidates(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.relayed {
		switch r.Kind {
		case "candidate":
			var c webrtc.ICECandidateInit
			if err := json.Unmarshal(r.Payload, &c); err != nil {
				t.Fatalf("relayed candidate %s: %v", r.Payload, err)
			}
			out = append(out, c.Candidate)
		case "offer", "answer":
			var d webrtc.SessionDescription
			if err := json.Unmarshal(r.Payload, &d); err != nil {
				t.Fatalf("relayed %s %s: %v", r.Kind, r.Payload, err)
			}
			for _, line := range strings.Split(d.SDP, "\n") {
				if c, ok := strings.CutPrefix(strings.TrimSpace(line), "a="); ok && strings.HasPrefix(c, "candidate:") {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// TestRelayOnlyCall: two relay-only phones call through the embedded TURN
// server. Video flows both ways, both ends' selected candidate pair is
// relay to relay, and neither phone told its peer any address but its
// relay's.
func TestRelayOnlyCall(t *testing.T) {
	r := newRelayRig(t, 0)
	spies := map[string]*spy{"alice": newSpy(t, r.url), "bob": newSpy(t, r.url)}
	relayOnly := func(c *phone.Config) { c.RelayOnly = true }
	alice := r.phoneVia(spies["alice"].url, "alice", 440, relayOnly)
	bob := r.phoneVia(spies["bob"].url, "bob", 660, relayOnly)
	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)

	for _, side := range []struct {
		me *testPhone
		s  *media.Session
	}{{alice, sa}, {bob, sb}} {
		eventually(t, side.me.account+" decoding 30 frames through the relay", func() bool {
			return len(side.me.frameStamps()) >= 30
		})
		eventually(t, side.me.account+"'s selected pair in the stats", func() bool {
			return side.s.Stats().LocalCandidate != webrtc.ICECandidateTypeUnknown
		})
		if st := side.s.Stats(); st.LocalCandidate != webrtc.ICECandidateTypeRelay || st.RemoteCandidate != webrtc.ICECandidateTypeRelay {
			t.Fatalf("%s's selected pair is %s → %s, want relay → relay", side.me.account, st.LocalCandidate, st.RemoteCandidate)
		}
	}

	for name, s := range spies {
		cands := s.candidates(t)
		if len(cands) == 0 {
			t.Fatalf("%s sent no candidate", name)
		}
		for _, c := range cands {
			f := strings.Fields(c)
			if len(f) < 8 || f[6] != "typ" || f[7] != "relay" {
				t.Fatalf("%s sent its peer a candidate that is not a relay: %q", name, c)
			}
			if f[4] != "127.0.0.1" {
				t.Fatalf("%s's relay candidate %q is not at the relay's address", name, c)
			}
			if !strings.Contains(c, "raddr 0.0.0.0 rport 0") {
				t.Fatalf("%s's relay candidate %q shows its own address as raddr", name, c)
			}
		}
		t.Logf("%s sent %d candidates, e.g. %s", name, len(cands), cands[0])
	}

	alice.Hangup(context.Background())
	expect[*phone.MediaEnded](t, bob)
}

// TestRelayOnlyCallOutlivesLoginCredentials: the TURN credentials of the
// sign-in have expired when the call starts; the call's own, from the
// startRtc reply, carry it.
func TestRelayOnlyCallOutlivesLoginCredentials(t *testing.T) {
	const ttl = 5 * time.Second
	r := newRelayRig(t, ttl)
	relayOnly := func(c *phone.Config) { c.RelayOnly = true }
	alice, bob := r.phone("alice", 440, relayOnly), r.phone("bob", 660, relayOnly)
	var expiry int64
	for _, p := range []*testPhone{alice, bob} {
		for _, s := range p.Client().Login().ICEServers {
			ts, _, _ := strings.Cut(s.Username, ":")
			if e, err := strconv.ParseInt(ts, 10, 64); err == nil && e > expiry {
				expiry = e
			}
		}
	}
	if expiry == 0 {
		t.Fatal("no TURN credentials at sign-in")
	}
	// Credentials are valid while now < expiry, in whole seconds.
	time.Sleep(time.Until(time.Unix(expiry, 0)) + 100*time.Millisecond)

	_, sa, sb := connectCall(t, alice, bob, proto.CallTypeVideo)
	for _, p := range []*testPhone{alice, bob} {
		eventually(t, p.account+" decoding frames through the relay", func() bool { return len(p.frameStamps()) >= 10 })
	}
	for _, s := range []*media.Session{sa, sb} {
		eventually(t, "the selected pair in the stats", func() bool { return s.Stats().LocalCandidate == webrtc.ICECandidateTypeRelay })
	}
	alice.Hangup(context.Background())
	expect[*phone.MediaEnded](t, bob)
}

// BenchmarkRelayedAcceptToFirstFrame is BenchmarkAcceptToFirstFrame with
// both phones relay-only through the embedded TURN server.
func BenchmarkRelayedAcceptToFirstFrame(b *testing.B) {
	r := newRelayRig(b, 0)
	relayOnly := func(c *phone.Config) { c.RelayOnly = true }
	benchAcceptToFirstFrame(b, r.phone("alice", 440, relayOnly), r.phone("bob", 660, relayOnly))
}

// TestRelayOnlyWithoutTURN: a relay-only phone on a server without TURN
// fails its calls at once with ErrNoRelay: placing one, or answering one,
// which it then declines.
func TestRelayOnlyWithoutTURN(t *testing.T) {
	r := newRig(t)
	alice := r.phone("alice", 440, func(c *phone.Config) { c.RelayOnly = true })
	bob := r.phone("bob", 660)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := alice.Call(ctx, "bob", proto.CallTypeVideo, call.CallOptions{}); !errors.Is(err, phone.ErrNoRelay) {
		t.Fatalf("relay-only call without TURN: %v, want ErrNoRelay", err)
	}
	cid, err := bob.Call(ctx, "alice", proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.BeCalling](t, alice)
	if err := alice.Accept(ctx, cid, proto.CallTypeVideo); !errors.Is(err, phone.ErrNoRelay) {
		t.Fatalf("relay-only answer without TURN: %v, want ErrNoRelay", err)
	}
	// The caller hears at once that the call will not be answered.
	if rej := expect[*proto.CallRejected](t, bob); rej.CID != cid {
		t.Fatalf("rejected %s, want %s", rej.CID, cid)
	}
	// Turned off, the next call goes through.
	alice.SetRelayOnly(false)
	cid, err = bob.Call(ctx, "alice", proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.BeCalling](t, alice)
	if err := alice.Accept(ctx, cid, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaStarted](t, alice)
	bob.Hangup(ctx)
	expect[*phone.MediaEnded](t, alice)
}

// phoneVia is rig.phone signing in through url (a spy) instead.
func (r *rig) phoneVia(url, account string, toneHz float64, opts ...func(*phone.Config)) *testPhone {
	r.t.Helper()
	direct := r.url
	r.url = url
	defer func() { r.url = direct }()
	return r.phone(account, toneHz, opts...)
}
