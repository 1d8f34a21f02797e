package local_test

import (
	"context"
	"math"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/internal/await"
	"duet/call/leaktest"
	"duet/call/local"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

const testTimeout = 40 * time.Second // a deadline: on a busy 2-core machine the scene encodes slowly under -race

func TestEmbeddedDefault(t *testing.T) {
	t.Run("direct", func(t *testing.T) { testBuiltInContacts(t, false) })
	// Always relay: media goes through the embedded server's own TURN relay.
	t.Run("always relay", func(t *testing.T) { testBuiltInContacts(t, true) })
}

func testBuiltInContacts(t *testing.T, relayOnly bool) {
	leaktest.Check(t)
	l, err := local.Start(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := url.Parse(l.URL())
	if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "0" || u.Port() == "" {
		t.Fatalf("embedded server at %q, want a free loopback port", l.URL())
	}

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err := call.Dial(ctx, call.Config{ServerURL: l.URL(), Account: "me", ClientType: proto.ClientDesktop})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var stamps []uint32
	p := phone.New(phone.Config{Client: client, LoopbackOnly: true, RelayOnly: relayOnly,
		OnFrame: func(f media.Frame) {
			if n, _, ok := devices.ReadFrameStamp(f.Image); ok {
				mu.Lock()
				stamps = append(stamps, n)
				mu.Unlock()
			}
		},
		OpenCapture: func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true, Video: true, ToneHz: 700})
		}})
	defer p.Close()
	events := make(chan call.Event, 256)
	go func() {
		for ev := range p.Events() {
			events <- ev
		}
	}()

	// Both built-ins sign in by themselves.
	await.Until(t, "built-in contacts online", func() bool {
		cs, err := client.Contacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		online := 0
		for _, c := range cs {
			if (c.Account == local.EchoAccount || c.Account == local.TestBotAccount) && c.Presence == proto.PresenceOnline {
				online++
			}
		}
		return online == 2
	})
	if local.DisplayName(local.EchoAccount) != "Echo test" || local.DisplayName(local.TestBotAccount) != "Test bot" {
		t.Fatal("built-in display names")
	}

	for _, callee := range []string{local.TestBotAccount, local.EchoAccount} {
		mu.Lock()
		stamps = nil
		mu.Unlock()
		if _, err := p.Call(ctx, callee, proto.CallTypeVideo, call.CallOptions{}); err != nil {
			t.Fatal(err)
		}
		s := await.Event[*phone.MediaStarted](t, events).Session
		await.Until(t, callee+" video", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(stamps) >= 30
		})
		mu.Lock()
		got := slices.Clone(stamps)
		mu.Unlock()
		if !slices.IsSorted(got) {
			t.Fatalf("%s: frames out of order", callee)
		}
		wantHz := 523.25 // the test bot's tone
		if callee == local.EchoAccount {
			wantHz = 700 // our own, sent back
		}
		await.Until(t, callee+" audio", func() bool { return math.Abs(s.Stats().AudioHz-wantHz) <= 5 })
		if st := s.Stats(); relayOnly && st.LocalCandidate != webrtc.ICECandidateTypeRelay {
			t.Fatalf("%s: always relay, but the selected local candidate is %s", callee, st.LocalCandidate)
		}
		if err := p.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		await.Event[*phone.MediaEnded](t, events)
	}
}
