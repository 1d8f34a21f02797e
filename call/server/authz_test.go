package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
)

// Authorization: whatever a third party (carol), another device of a party
// or a stale cid tries against a live alice→bob call fails with the exact
// code below, and the call does not notice.

// relayBothWays checks the call between alice and bob still carries relay
// in both directions.
func relayBothWays(t *testing.T, alice, bob *call.Client, note string) {
	t.Helper()
	if err := alice.Relay(ctx(t), "media", map[string]string{"from": "alice", "note": note}); err != nil {
		t.Fatalf("%s: alice's relay: %v", note, err)
	}
	rel := expect[*proto.RelayEvent](t, bob)
	wantEqual(t, note+": relay at bob", rel.From, "alice")
	if err := bob.Relay(ctx(t), "media", map[string]string{"from": "bob", "note": note}); err != nil {
		t.Fatalf("%s: bob's relay: %v", note, err)
	}
	rel = expect[*proto.RelayEvent](t, alice)
	wantEqual(t, note+": relay at alice", rel.From, "bob")
}

// attempt is one request an outsider sends and the code it must get.
type attempt struct {
	typ  string
	data any
	code proto.Code
}

func attempts(cid string, response, others proto.Code) []attempt {
	return []attempt{
		{proto.TypeResponse, proto.Response{CID: cid, Accepted: true}, response},
		{proto.TypeResponse, proto.Response{CID: cid, Accepted: false}, response},
		{proto.TypeResponse, proto.Response{CID: cid, Accepted: false, Reason: proto.ReasonBusy}, response},
		{proto.TypeStartRTC, proto.StartRTC{CID: cid}, others},
		{proto.TypeHangup, proto.Hangup{CID: cid}, others},
		{proto.TypeHangup, proto.Hangup{CID: cid, Reason: proto.ReasonTimeout}, others},
		{proto.TypeRelay, proto.Relay{CID: cid, Kind: "offer", Payload: json.RawMessage(`{"type":"offer","sdp":"v=0"}`)}, others},
		{proto.TypeRelay, proto.Relay{CID: cid, Kind: "candidate", Payload: json.RawMessage(`{"candidate":"x"}`)}, others},
	}
}

func try(t *testing.T, c *rawClient, as []attempt) {
	t.Helper()
	for _, a := range as {
		c.fail(a.typ, a.data, a.code)
	}
	c.healthy()
}

// spoofs are requests that try to speak for someone else through fields the
// protocol does not have: strict decoding refuses them.
func spoofs(cid string) []string {
	return []string{
		`{"type":"relay","id":901,"data":{"cid":"` + cid + `","kind":"offer","payload":{},"from":"alice"}}`,
		`{"type":"hangup","id":902,"data":{"cid":"` + cid + `","account":"bob"}}`,
		`{"type":"call","id":903,"data":{"type":1,"callee":"bob","caller":"alice"}}`,
		`{"type":"history","id":904,"data":{"account":"alice"}}`,
		`{"type":"response","id":905,"data":{"cid":"` + cid + `","accepted":true,"account":"bob"}}`,
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob1 := e.dial("alice", "a1"), e.dial("bob", "b1")
	bob2 := dialRaw(t, e.url) // a device of bob's that will not answer
	bob2.login("bob", e.tokens["bob"], "b2")
	alice2 := dialRaw(t, e.url) // alice's other device
	alice2.login("alice", e.tokens["alice"], "a2")
	carol := dialRaw(t, e.url)
	carol.login("carol", e.tokens["carol"], "c1")

	// A finished call first: its cid is dead for everyone.
	old := placeCall(t, alice, "bob", proto.CallTypeAudio, bob1)
	bob2.event(proto.TypeBeCalling)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.HangupEvent](t, bob1)
	bob2.event(proto.TypeHangupEvent)
	waitRecord(t, alice, old)

	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob1)
	bob2.event(proto.TypeBeCalling)

	t.Run("carol while it rings", func(t *testing.T) {
		defer carol.use(t)()
		try(t, carol, attempts(cid, proto.CodeNotParticipant, proto.CodeNotParticipant))
	})
	t.Run("alice's other device while it rings", func(t *testing.T) {
		defer alice2.use(t)()
		try(t, alice2, attempts(cid, proto.CodeNotParticipant, proto.CodeNotParticipant))
	})
	t.Run("carol resumes with bob's device id while it rings", func(t *testing.T) {
		// Device ids are per account: carol's "b1" is not bob's b1, so
		// carol gets no active call and nothing rings, and bob's b1 stays.
		c := dialRaw(t, e.url)
		res := c.login("carol", e.tokens["carol"], "b1")
		wantEqual(t, "carol's active call", res.ActiveCall, (*proto.ActiveCall)(nil))
		try(t, c, attempts(cid, proto.CodeNotParticipant, proto.CodeNotParticipant))
		if len(c.events) != 0 {
			t.Fatalf("carol as b1 got %s", c.events[0].Type)
		}
	})
	// The call still rings on both of bob's devices.
	if err := bob1.Response(ctx(t), cid, true); err != nil {
		t.Fatalf("bob answers after the attempts: %v", err)
	}
	expect[*proto.CallAccepted](t, alice)
	ack := eventData[proto.CallerAckSync](bob2, proto.TypeCallerAckSync)
	wantEqual(t, "bob2's callerAckSync", [2]any{ack.CID, ack.Accepted}, [2]any{cid, true})
	if _, err := alice.StartRTC(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	expect[*proto.SyncDone](t, alice)
	if _, err := bob1.StartRTC(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	expect[*proto.SyncDone](t, bob1)
	expect[*proto.ClientJoin](t, alice)
	relayBothWays(t, alice, bob1, "answered")

	t.Run("carol once answered", func(t *testing.T) {
		defer carol.use(t)()
		try(t, carol, attempts(cid, proto.CodeNotParticipant, proto.CodeNotParticipant))
	})
	t.Run("bob's device that did not answer", func(t *testing.T) {
		defer bob2.use(t)()
		// The answer is taken (wrong_state); the room is the answering device's.
		try(t, bob2, attempts(cid, proto.CodeWrongState, proto.CodeNotParticipant))
	})
	t.Run("alice's other device once answered", func(t *testing.T) {
		defer alice2.use(t)()
		try(t, alice2, attempts(cid, proto.CodeNotParticipant, proto.CodeNotParticipant))
	})
	t.Run("carol resumes with bob's device id once answered", func(t *testing.T) {
		c := dialRaw(t, e.url)
		res := c.login("carol", e.tokens["carol"], "b1")
		wantEqual(t, "carol's active call", res.ActiveCall, (*proto.ActiveCall)(nil))
		try(t, c, attempts(cid, proto.CodeNotParticipant, proto.CodeNotParticipant))
	})
	t.Run("carol signs in as bob", func(t *testing.T) {
		c := dialRaw(t, e.url)
		for _, tok := range []string{e.tokens["carol"], "", "guess", e.tokens["alice"]} {
			c.fail(proto.TypeLogin, proto.Login{Account: "bob", Token: tok, ClientType: proto.ClientWeb, DeviceID: "b1"},
				proto.CodeUnauthorized)
		}
		// Bob's token does not make carol bob either, nor bob carol.
		c.fail(proto.TypeLogin, proto.Login{Account: "carol", Token: e.tokens["bob"], ClientType: proto.ClientWeb, DeviceID: "b1"},
			proto.CodeUnauthorized)
		c.fail(proto.TypeStartRTC, proto.StartRTC{CID: cid}, proto.CodeNotSignedIn)
		c.fail(proto.TypeHistory, proto.History{}, proto.CodeNotSignedIn)
	})
	t.Run("spoofed fields", func(t *testing.T) {
		defer carol.use(t)()
		for _, msg := range spoofs(cid) {
			var env proto.Envelope
			if err := json.Unmarshal([]byte(msg), &env); err != nil {
				t.Fatal(err)
			}
			carol.write(1, []byte(msg)) // text frame
			carol.wantError(env.ID, proto.CodeBadRequest)
		}
		carol.healthy()
	})
	// Nothing carol or the other devices did reached the call: bob's b1
	// was not replaced by a sign-in with its device id, relay still flows.
	relayBothWays(t, alice, bob1, "after the attempts")
	expectQuiet(t, alice, 50*time.Millisecond)
	expectQuiet(t, bob1, 0)

	time.Sleep(20 * time.Millisecond) // a measurable duration
	if err := bob1.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, alice)
	hu := expect[*proto.HangupEvent](t, alice)
	wantEqual(t, "hangup", [3]any{hu.CID, hu.Account, hu.Reason}, [3]any{cid, "bob", proto.ReasonHangup})
	rec := waitRecord(t, alice, cid)
	if rec.Duration <= 0 || rec.AnsweredAt == 0 {
		t.Fatalf("record %+v: want an answered call with a duration", rec)
	}
	wantEqual(t, "record", rec, proto.CallRecord{Seq: rec.Seq, CID: cid, Caller: "alice", Callee: "bob",
		Type: proto.CallTypeVideo, Status: proto.StatusCompleted, CreatedAt: rec.CreatedAt, AnsweredAt: rec.AnsweredAt,
		EndedAt: rec.EndedAt, Duration: rec.Duration, EndedBy: "bob"})
	wantEqual(t, "bob's record", waitRecord(t, bob1, cid), rec)

	t.Run("finished call", func(t *testing.T) {
		for _, c := range []*rawClient{carol, bob2, alice2} {
			func() {
				defer c.use(t)()
				for _, dead := range []string{cid, old} {
					try(t, c, attempts(dead, proto.CodeNoSuchCall, proto.CodeNoSuchCall))
				}
			}()
		}
	})
	t.Run("history", func(t *testing.T) {
		defer carol.use(t)()
		var page proto.HistoryResult
		carol.do(proto.TypeHistory, proto.History{Limit: proto.MaxHistoryPage}, &page)
		wantEqual(t, "carol's history", page.Records, []proto.CallRecord{})
		for _, ev := range carol.events {
			if ev.Type != proto.TypePresence {
				t.Errorf("carol got %s %s", ev.Type, ev.Data)
			}
		}
		for _, c := range []*call.Client{alice, bob1} {
			page, err := c.History(ctx(t), 0, proto.MaxHistoryPage)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, c.Account()+"'s history", len(page.Records), 2)
			wantEqual(t, c.Account()+"'s newest record", page.Records[0], rec)
		}
	})
	// Both parties are still signed in and served.
	stillServes(t, alice)
	stillServes(t, bob1)
}
