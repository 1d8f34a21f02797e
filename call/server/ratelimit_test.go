package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// patiently sends a request until it is not rate limited, waiting as long as
// each refusal asks, as a well-behaved client does, and requires success.
func (c *rawClient) patiently(typ string, data, result any) {
	c.t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		env := c.reply(c.request(typ, data))
		switch {
		case env.Error == nil:
			if result != nil {
				if err := json.Unmarshal(env.Result, result); err != nil {
					c.t.Fatalf("%s result %s: %v", typ, env.Result, err)
				}
			}
			return
		case env.Error.Code != proto.CodeRateLimited:
			c.t.Fatalf("%s: %v", typ, env.Error)
		case time.Now().After(deadline):
			c.t.Fatalf("%s: still rate limited after %s", typ, testTimeout)
		}
		wantRetryHint(c.t, env.Error)
		time.Sleep(time.Duration(env.Error.RetryAfterMs) * time.Millisecond)
	}
}

// wantRetryHint checks a rate_limited error says when to retry.
func wantRetryHint(t testing.TB, e *proto.Error) {
	t.Helper()
	if e.Code != proto.CodeRateLimited || e.RetryAfterMs <= 0 || e.RetryAfterMs > 60_000 || !strings.Contains(e.Message, "retry in") {
		t.Fatalf("want rate_limited with a retryAfterMs hint, got %+v", e)
	}
}

// rings drains c's events until it has been quiet for a while and returns
// the cids of the calls that rang it.
func rings(t *testing.T, c *call.Client) []string {
	t.Helper()
	var cids []string
	quiet := time.NewTimer(300 * time.Millisecond)
	defer quiet.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("%s: events closed", c.Account())
			}
			if bc, ok := ev.(*proto.BeCalling); ok {
				cids = append(cids, bc.CID)
			}
			quiet.Reset(300 * time.Millisecond)
		case <-quiet.C:
			return cids
		}
	}
}

// TestNobodyCanRingSomeoneAHundredTimesASecond: a client dialling bob as
// fast as it can (cancelling each call that goes through) rings him only a
// few times; the rest are refused with a hint, the connection and the server
// stay usable, and once the hint's wait is over the next call rings again.
func TestNobodyCanRingSomeoneAHundredTimesASecond(t *testing.T) {
	// The default ring budget refills one call every 15 s; 2 s keeps the
	// wait at the end short without changing what is tested.
	e := newEnv(t, func(c *server.Config) { c.Limits.Rings = server.Rate{Every: 2 * time.Second, Burst: 5} })
	bob, carol, dave := e.dial("bob", "b1"), e.dial("carol", "c1"), e.dial("dave", "d1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")

	var placed []string
	limited := 0
	start := time.Now()
	for range 100 {
		env := alice.reply(alice.request(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "bob"}))
		if env.Error != nil {
			wantRetryHint(t, env.Error)
			limited++
			continue
		}
		var res proto.CallResult
		if err := json.Unmarshal(env.Result, &res); err != nil {
			t.Fatal(err)
		}
		placed = append(placed, res.CID)
		alice.do(proto.TypeHangup, proto.Hangup{CID: res.CID}, nil) // hangups get through a spent budget
	}
	elapsed := time.Since(start)
	t.Logf("100 call attempts in %v: %d placed, %d rate limited", elapsed.Round(time.Millisecond), len(placed), limited)
	// Five at once, and one more per refill of bob's budget while the loop ran.
	if most := 5 + int(elapsed/(2*time.Second)); len(placed) < 5 || len(placed) > most {
		t.Fatalf("%d calls placed, want 5 to %d", len(placed), most)
	}
	wantEqual(t, "calls that rang bob", rings(t, bob), placed)

	// The connection and the server still work.
	var contacts proto.ContactsResult
	alice.patiently(proto.TypeContacts, proto.Contacts{}, &contacts)
	stillServes(t, dave)
	cid := placeCall(t, dave, "carol", proto.CallTypeAudio, carol)
	if err := dave.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitRecord(t, dave, cid)

	// After the wait, bob can be called again.
	var res proto.CallResult
	alice.patiently(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "bob"}, &res)
	bc := expect[*proto.BeCalling](t, bob)
	wantEqual(t, "beCalling after the wait", [2]any{bc.CID, bc.Caller}, [2]any{res.CID, "alice"})
	alice.do(proto.TypeHangup, proto.Hangup{CID: res.CID}, nil)
	expect[*proto.HangupEvent](t, bob)
}

// TestManyCallersCannotRingOnePerson: bob's budget is shared by everyone
// calling him, so six people (or one person with six accounts) ring him five
// times; the others they call are not affected.
func TestManyCallersCannotRingOnePerson(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.dial("bob", "b1")
	callers := []*call.Client{e.dial("alice", "a1"), e.dial("carol", "c1"), e.dial("dave", "d1")}
	for _, name := range []string{"erin", "frank", "gina"} {
		e.addAccount(name)
		callers = append(callers, e.dial(name, name))
	}
	for i, c := range callers {
		cid, err := c.Call(ctx(t), "bob", proto.CallTypeVideo, call.CallOptions{})
		if i < 5 {
			if err != nil {
				t.Fatalf("call %d from %s: %v", i+1, c.Account(), err)
			}
			expect[*proto.BeCalling](t, bob)
			if err := c.Hangup(ctx(t)); err != nil {
				t.Fatal(err)
			}
			expect[*proto.HangupEvent](t, bob)
			waitRecord(t, c, cid)
			continue
		}
		wantCode(t, err, proto.CodeRateLimited)
		if d := proto.RetryAfter(err); d <= 0 || d > 15*time.Second || !strings.Contains(err.Error(), "bob") {
			t.Fatalf("the 6th caller's error should name bob and say when to retry: %v (retry after %v)", err, d)
		}
	}
	wantEqual(t, "rings after the limit", rings(t, bob), []string(nil))

	// The callers' own budgets are untouched: the last one can call someone else.
	cid := placeCall(t, callers[5], "alice", proto.CallTypeAudio, callers[0])
	if err := callers[5].Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitRecord(t, callers[0], cid)
}

// TestAnsweredCallsAreGivenBack: the limits are on ringing nobody wanted; a
// pair that talks often is never refused.
func TestAnsweredCallsAreGivenBack(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	for i := range 8 { // over both the caller's and the callee's burst of 5
		cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
		if err := bob.Response(ctx(t), cid, true); err != nil {
			t.Fatalf("call %d: accept: %v", i+1, err)
		}
		expect[*proto.CallAccepted](t, alice)
		if err := alice.Hangup(ctx(t)); err != nil {
			t.Fatal(err)
		}
		expect[*proto.HangupEvent](t, bob)
		waitRecord(t, bob, cid)
	}
}

// TestMessageFloodClosesOnlyTheFlooder: a connection that ignores its
// rate_limited errors and keeps sending is closed with 1008; a call in
// progress between two others does not notice.
func TestMessageFloodClosesOnlyTheFlooder(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob, dave := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("dave", "d1")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, cid)

	carolPhone := e.dial("carol", "c-phone") // the flooder's account on another device
	carol := dialRaw(t, e.url)
	carol.login("carol", e.tokens["carol"], "c-raw")
	msg := []byte(`{"type":"contacts","id":1}`)
	wctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sent := 0
	for range 2000 {
		if carol.ws.Write(wctx, websocket.MessageText, msg) != nil {
			break // the server hung up mid-flood
		}
		sent++
	}
	limited := 0
	var closeErr error
	for closeErr == nil {
		_, b, err := carol.ws.Read(wctx)
		if err != nil {
			closeErr = err
			break
		}
		var env proto.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		if env.Error != nil {
			wantRetryHint(t, env.Error)
			limited++
		}
	}
	t.Logf("flood: %d messages sent, %d rate_limited replies read before the close", sent, limited)
	if got := websocket.CloseStatus(closeErr); got != websocket.StatusPolicyViolation {
		t.Fatalf("flooder's connection ended with %v, want close status 1008", closeErr)
	}
	if limited == 0 {
		t.Fatal("the flooder was closed without being told to slow down first")
	}

	// The call goes on: relay both ways, then an orderly end.
	if err := alice.Relay(ctx(t), "candidate", map[string]string{"candidate": "a"}); err != nil {
		t.Fatal(err)
	}
	expect[*proto.RelayEvent](t, bob)
	if err := bob.Relay(ctx(t), "candidate", map[string]string{"candidate": "b"}); err != nil {
		t.Fatal(err)
	}
	expect[*proto.RelayEvent](t, alice)
	stillServes(t, dave)
	stillServes(t, carolPhone)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, bob)
	expect[*proto.HangupEvent](t, bob)
	wantEqual(t, "record", waitRecord(t, bob, cid).Status, proto.StatusCompleted)

	// Carol may come back.
	again := dialRaw(t, e.url)
	again.login("carol", e.tokens["carol"], "c-raw")
	again.healthy()
}

// rawCall has raw alice call bob and both join the room; it returns the cid.
func rawCall(t *testing.T, alice *rawClient, bob *call.Client) string {
	t.Helper()
	var placed proto.CallResult
	alice.do(proto.TypeCall, proto.Call{Type: proto.CallTypeVideo, Callee: bob.Account()}, &placed)
	expect[*proto.BeCalling](t, bob)
	if err := bob.Response(ctx(t), placed.CID, true); err != nil {
		t.Fatal(err)
	}
	alice.event(proto.TypeCallAccepted)
	alice.do(proto.TypeStartRTC, proto.StartRTC{CID: placed.CID}, nil)
	alice.event(proto.TypeSyncDone)
	if _, err := bob.StartRTC(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	expect[*proto.SyncDone](t, bob)
	alice.event(proto.TypeClientJoin)
	return placed.CID
}

// pipeline writes every request before reading any reply, as a client
// trickling ICE candidates does, and returns the replies in request order.
// Replies may arrive in another order (a refusal is sent at once, a result
// after the work).
func (c *rawClient) pipeline(typ string, data []any) []proto.Envelope {
	c.t.Helper()
	index := map[uint64]int{}
	for i, d := range data {
		index[c.request(typ, d)] = i
	}
	out := make([]proto.Envelope, len(data))
	for range data {
		env := c.read()
		for env.Type != proto.TypeReply {
			c.events = append(c.events, env)
			env = c.read()
		}
		i, ok := index[env.ID]
		if !ok {
			c.t.Fatalf("reply to unknown request %d: %+v", env.ID, env)
		}
		delete(index, env.ID)
		out[i] = env
	}
	return out
}

// TestCallSetupBurstFitsTheLimit: a call's setup as a host with many
// interfaces sends it (offer, media state, 40 candidates back to back) goes
// through the default limits untouched, in order.
func TestCallSetupBurstFitsTheLimit(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.dial("bob", "b1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")
	cid := rawCall(t, alice, bob)

	var burst []any
	burst = append(burst, proto.Relay{CID: cid, Kind: "offer", Payload: json.RawMessage(`{"type":"offer","sdp":"v=0"}`)})
	burst = append(burst, proto.Relay{CID: cid, Kind: "media", Payload: json.RawMessage(`{"audio":true,"video":true}`)})
	for i := range 40 {
		burst = append(burst, proto.Relay{CID: cid, Kind: "candidate",
			Payload: json.RawMessage(fmt.Sprintf(`{"candidate":"candidate:%d 1 udp 2130706431 10.0.0.%d 50000 typ host"}`, i, i))})
	}
	for i, rep := range alice.pipeline(proto.TypeRelay, burst) {
		if rep.Error != nil {
			t.Fatalf("relay %d of the setup burst: %v", i, rep.Error)
		}
	}
	for i, want := range burst {
		rel := expect[*proto.RelayEvent](t, bob)
		if w := want.(proto.Relay); rel.Kind != w.Kind || string(rel.Payload) != string(w.Payload) {
			t.Fatalf("relay %d: got %s %s, want %s %s", i, rel.Kind, rel.Payload, w.Kind, w.Payload)
		}
	}
	alice.do(proto.TypeHangup, proto.Hangup{CID: cid}, nil)
	expect[*proto.ClientLeave](t, bob)
	expect[*proto.HangupEvent](t, bob)
}

// TestHangupGetsThroughASpentBudget: a client that spent its whole message
// budget (a buggy retry loop, say) can still end its call.
func TestHangupGetsThroughASpentBudget(t *testing.T) {
	// A budget that does not refill during the test, so "spent" stays spent.
	e := newEnv(t, func(c *server.Config) { c.Limits.Messages = server.Rate{Every: time.Minute, Burst: 20} })
	bob := e.dial("bob", "b1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")
	cid := rawCall(t, alice, bob) // 3 messages with the login

	many := make([]any, 30)
	for i := range many {
		many[i] = proto.Contacts{}
	}
	limited := 0
	for _, rep := range alice.pipeline(proto.TypeContacts, many) {
		if rep.Error != nil {
			wantRetryHint(t, rep.Error)
			limited++
		}
	}
	wantEqual(t, "refused contacts", limited, 30-(20-3))
	alice.fail(proto.TypeRelay, proto.Relay{CID: cid, Kind: "media", Payload: json.RawMessage(`{}`)}, proto.CodeRateLimited)
	alice.do(proto.TypeHangup, proto.Hangup{CID: cid}, nil)
	expect[*proto.ClientLeave](t, bob)
	hu := expect[*proto.HangupEvent](t, bob)
	wantEqual(t, "hangup", [3]any{hu.CID, hu.Account, hu.Reason}, [3]any{cid, "alice", proto.ReasonHangup})
}

// sendAndCount writes msg n times without reading, then reads the n replies
// and counts them by error code ("" for success). Safe to run on a
// goroutine of its own: it reports instead of failing the test.
func sendAndCount(ws *websocket.Conn, msg []byte, n int) (map[proto.Code]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for range n {
		if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
			return nil, err
		}
	}
	codes := map[proto.Code]int{}
	for got := 0; got < n; {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return codes, err
		}
		var env proto.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			return codes, err
		}
		if env.Type != proto.TypeReply {
			continue
		}
		got++
		if env.Error == nil {
			codes[""]++
		} else {
			codes[env.Error.Code]++
		}
	}
	return codes, nil
}

// TestRelayNotStarvedByCallSpam: while carol dials bob in a loop, bob's call
// with alice relays every message and ends normally, and bob never rings.
func TestRelayNotStarvedByCallSpam(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, cid)

	carol := dialRaw(t, e.url)
	carol.login("carol", e.tokens["carol"], "c-raw")
	spam, err := json.Marshal(proto.Envelope{Type: proto.TypeCall, ID: 1, Data: json.RawMessage(`{"type":1,"callee":"bob"}`)})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		codes map[proto.Code]int
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		codes, err := sendAndCount(carol.ws, spam, 150)
		done <- outcome{codes, err}
	}()
	for i := range 30 {
		if err := alice.Relay(ctx(t), "candidate", map[string]int{"n": i}); err != nil {
			t.Fatalf("relay %d during the spam: %v", i, err)
		}
		rel := expect[*proto.RelayEvent](t, bob)
		wantEqual(t, "relayed candidate", string(rel.Payload), fmt.Sprintf(`{"n":%d}`, i))
	}
	out := <-done
	if out.err != nil {
		t.Fatalf("carol's spam: %v", out.err)
	}
	t.Logf("carol's 150 calls: %v", out.codes)
	// Placed calls are rejected as busy at once: bob is in a call.
	if placed := out.codes[""]; placed > 5 || out.codes[proto.CodeRateLimited] != 150-placed {
		t.Fatalf("carol's calls: %v; want at most bob's budget of 5 placed and the rest rate limited", out.codes)
	}
	if err := bob.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, alice)
	expect[*proto.HangupEvent](t, alice)
	wantEqual(t, "record", waitRecord(t, alice, cid).Status, proto.StatusCompleted)
}

// TestRelayBytesBudget: a party that pushes large relays at its peer is
// held to 512 KiB at once, then 64 KiB a second; what it sent within the
// budget arrives, and the call goes on.
func TestRelayBytesBudget(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, cid)

	big := strings.Repeat("x", 60*1024) // a JSON string of 60 KiB and its quotes
	relayed := 0
	var refused error
	start := time.Now()
	for range 20 {
		if refused = alice.Relay(ctx(t), "blob", big); refused != nil {
			break
		}
		relayed++
	}
	// 8 × 60 KiB fit in the 512 KiB burst; more only as fast as the budget
	// refilled meanwhile, at 64 KiB a second.
	most := int((512 + 64*time.Since(start).Seconds()) / 60)
	if relayed < 8 || relayed > most || refused == nil {
		t.Fatalf("relayed %d large messages before a refusal (%v), want 8 to %d", relayed, refused, most)
	}
	var pe *proto.Error
	if !errors.As(refused, &pe) {
		t.Fatalf("refusal %v, want a protocol error", refused)
	}
	wantRetryHint(t, pe)
	for range relayed {
		expect[*proto.RelayEvent](t, bob)
	}
	time.Sleep(time.Duration(pe.RetryAfterMs) * time.Millisecond)
	if err := alice.Relay(ctx(t), "blob", big); err != nil {
		t.Fatalf("relay after the wait the server named: %v", err)
	}
	expect[*proto.RelayEvent](t, bob)
	if err := alice.Relay(ctx(t), "candidate", map[string]string{"candidate": "a"}); err != nil {
		t.Fatalf("a candidate after the budget refilled a little: %v", err)
	}
	expect[*proto.RelayEvent](t, bob)
}
