package server_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// envMaker starts the server (or servers) a flow runs on: newEnv, or a
// cluster behind one address (cluster_flow_test.go).
type envMaker func(*testing.T, func(*server.Config)) *env

// Bob is signed in on two devices throughout: every invitation must ring
// both, and whatever one device does must settle the other.

func TestAcceptRelayHangup(t *testing.T) { testAcceptRelayHangup(t, newEnv) }

func testAcceptRelayHangup(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice := e.dial("alice", "a1")
	bob1 := e.dial("bob", "b1")
	bob2 := e.dial("bob", "b2", func(c *call.Config) { c.ClientType = proto.ClientMobile })
	carol := e.dial("carol", "c1")

	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob1, bob2)
	if err := bob2.Response(ctx(t), cid, true); err != nil {
		t.Fatalf("accept: %v", err)
	}
	acc := expect[*proto.CallAccepted](t, alice)
	wantEqual(t, "callAccepted", acc.CID, cid)
	ack := expect[*proto.CallerAckSync](t, bob1)
	wantEqual(t, "callerAckSync", [3]any{ack.CID, ack.Accepted, ack.FromClientType}, [3]any{cid, true, proto.ClientMobile})
	if got := bob1.Current().Phase; got != call.PhaseIdle {
		t.Fatalf("bob1 still %v after callerAckSync", got)
	}

	// Room: the callee joins first, so the caller's syncDone lists it.
	joinB, err := bob2.StartRTC(ctx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "bob startRtc", joinB, proto.StartRTCResult{UID: joinB.UID, Account: "bob", CID: cid})
	sd := expect[*proto.SyncDone](t, bob2)
	wantEqual(t, "bob syncDone", sd.UserList, []proto.RoomMember{})
	if err := bob2.Relay(ctx(t), "offer", map[string]string{"sdp": "early"}); proto.CodeOf(err) != proto.CodeNotInRoom {
		t.Fatalf("relay before the peer joined: want not_in_room, got %v", err)
	}
	joinA, err := alice.StartRTC(ctx(t), proto.CallTypeAudio)
	if err != nil {
		t.Fatal(err)
	}
	if joinA.UID == 0 || joinA.UID == joinB.UID {
		t.Fatalf("uids must be distinct and non-zero: %d %d", joinA.UID, joinB.UID)
	}
	sd = expect[*proto.SyncDone](t, alice)
	wantEqual(t, "alice syncDone", sd.UserList, []proto.RoomMember{{Account: "bob", UID: joinB.UID, Mode: proto.CallTypeVideo}})
	cj := expect[*proto.ClientJoin](t, bob2)
	wantEqual(t, "clientJoin", *cj, proto.ClientJoin{CID: cid, Account: "alice", UID: joinA.UID, Mode: proto.CallTypeAudio})

	// Relay reaches the peer's answering device only.
	if err := bob2.Relay(ctx(t), "offer", map[string]string{"sdp": "v=0"}); err != nil {
		t.Fatal(err)
	}
	rel := expect[*proto.RelayEvent](t, alice)
	wantEqual(t, "relay", [3]any{rel.From, rel.FromUID, rel.Kind}, [3]any{"bob", joinB.UID, "offer"})
	var payload map[string]string
	json.Unmarshal(rel.Payload, &payload)
	wantEqual(t, "relay payload", payload["sdp"], "v=0")
	expectQuiet(t, bob1, 100*time.Millisecond)
	expectQuiet(t, carol, 0)

	time.Sleep(50 * time.Millisecond) // a measurable duration
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	cl := expect[*proto.ClientLeave](t, bob2)
	wantEqual(t, "clientLeave", *cl, proto.ClientLeave{CID: cid, Account: "alice", UID: joinA.UID, Reason: proto.ReasonHangup})
	hu := expect[*proto.HangupEvent](t, bob2)
	wantEqual(t, "hangup", [3]any{hu.CID, hu.Account, hu.Reason}, [3]any{cid, "alice", proto.ReasonHangup})

	// Every device of both parties gets the record.
	for _, c := range []*call.Client{alice, bob1, bob2} {
		r := waitRecord(t, c, cid)
		wantEqual(t, "pushed status", r.Status, proto.StatusCompleted)
	}
	r := e.recordAfterRestart("bob", cid)
	wantEqual(t, "record", [5]any{r.Caller, r.Callee, r.Type, r.Status, r.EndedBy},
		[5]any{"alice", "bob", proto.CallTypeVideo, proto.StatusCompleted, "alice"})
	if r.Duration < 50 || r.Duration > 5000 || r.AnsweredAt == 0 || r.EndedAt-r.AnsweredAt != r.Duration {
		t.Fatalf("duration %d ms, answered %d, ended %d", r.Duration, r.AnsweredAt, r.EndedAt)
	}
}

func TestHangupByCallee(t *testing.T) { testHangupByCallee(t, newEnv) }

func testHangupByCallee(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	if err := bob.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, alice)
	hu := expect[*proto.HangupEvent](t, alice)
	wantEqual(t, "hangup", [2]any{hu.Account, hu.Reason}, [2]any{"bob", proto.ReasonHangup})
	if alice.Current().Phase != call.PhaseIdle || bob.Current().Phase != call.PhaseIdle {
		t.Fatal("a party still thinks it is in the call")
	}
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "bob"})
}

func TestReject(t *testing.T) { testReject(t, newEnv) }

func testReject(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice, bob1, bob2 := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("bob", "b2")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob1, bob2)
	if err := bob1.Response(ctx(t), cid, false); err != nil {
		t.Fatal(err)
	}
	rej := expect[*proto.CallRejected](t, alice)
	wantEqual(t, "callRejected", [2]any{rej.CID, rej.Reason}, [2]any{cid, proto.ReasonRejected})
	ack := expect[*proto.CallerAckSync](t, bob2)
	wantEqual(t, "callerAckSync accepted", ack.Accepted, false)
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", [3]any{r.Status, r.Duration, r.EndedBy}, [3]any{proto.StatusRejected, int64(0), "bob"})
}

func TestCancelBeforeAnswer(t *testing.T) { testCancelBeforeAnswer(t, newEnv) }

func testCancelBeforeAnswer(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice, bob1, bob2 := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("bob", "b2")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob1, bob2)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*call.Client{bob1, bob2} {
		hu := expect[*proto.HangupEvent](t, b)
		wantEqual(t, "hangup", [3]any{hu.CID, hu.Account, hu.Reason}, [3]any{cid, "alice", proto.ReasonCancelled})
	}
	if err := bob1.Response(ctx(t), cid, true); !errors.Is(err, call.ErrNotRinging) {
		t.Fatalf("answering a cancelled call: %v", err)
	}
	r := e.recordAfterRestart("bob", cid)
	wantEqual(t, "record", [3]any{r.Status, r.AnsweredAt, r.EndedBy}, [3]any{proto.StatusCancelled, int64(0), "alice"})
}

func TestNoAnswerTimeout(t *testing.T) { testNoAnswerTimeout(t, newEnv) }

func testNoAnswerTimeout(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice := e.dial("alice", "a1", func(c *call.Config) { c.NoAnswerTimeout = 300 * time.Millisecond })
	bob1, bob2 := e.dial("bob", "b1"), e.dial("bob", "b2")
	start := time.Now()
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob1, bob2)
	na := expect[*call.NoAnswer](t, alice)
	wantEqual(t, "noAnswer", na.CID, cid)
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Fatalf("gave up after %v", waited)
	}
	for _, b := range []*call.Client{bob1, bob2} {
		hu := expect[*proto.HangupEvent](t, b)
		wantEqual(t, "hangup reason", hu.Reason, proto.ReasonTimeout)
	}
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", r.Status, proto.StatusTimeout)
}

func TestServerRingLimit(t *testing.T) { testServerRingLimit(t, newEnv) }

func testServerRingLimit(t *testing.T, newEnv envMaker) {
	e := newEnv(t, func(c *server.Config) { c.RingTimeout = 200 * time.Millisecond })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	for _, c := range []*call.Client{alice, bob} {
		hu := expect[*proto.HangupEvent](t, c)
		wantEqual(t, "hangup", [3]any{hu.CID, hu.Account, hu.Reason}, [3]any{cid, "", proto.ReasonTimeout})
	}
	if alice.Current().Phase != call.PhaseIdle {
		t.Fatal("caller still calling after the ring limit")
	}
	r := e.recordAfterRestart("bob", cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusTimeout, ""})
}

func TestBusy(t *testing.T) { testBusy(t, newEnv) }

func testBusy(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice, bob, carol := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("carol", "c1")
	first := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, first)

	cid, err := carol.Call(ctx(t), "bob", proto.CallTypeAudio, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rej := expect[*proto.CallRejected](t, carol)
	wantEqual(t, "callRejected", [2]any{rej.CID, rej.Reason}, [2]any{cid, proto.ReasonBusy})
	expectQuiet(t, bob, 100*time.Millisecond) // no ringing during the call

	// A ringing callee is busy too.
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, bob)
	expect[*proto.HangupEvent](t, bob)
	placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	cid2, err := carol.Call(ctx(t), "bob", proto.CallTypeAudio, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.CallRejected](t, carol)

	if _, err := alice.Call(ctx(t), "carol", proto.CallTypeAudio, call.CallOptions{}); !errors.Is(err, call.ErrInCall) {
		t.Fatalf("second call while calling: %v", err)
	}
	r := e.recordAfterRestart("carol", cid)
	wantEqual(t, "record", [2]any{r.Status, r.Duration}, [2]any{proto.StatusBusy, int64(0)})
	r = e.recordAfterRestart("carol", cid2)
	wantEqual(t, "record", r.Status, proto.StatusBusy)
}

func TestCalleeOffline(t *testing.T) { testCalleeOffline(t, newEnv) }

func testCalleeOffline(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice := e.dial("alice", "a1")
	_, err := alice.Call(ctx(t), "dave", proto.CallTypeVideo, call.CallOptions{})
	if !errors.Is(err, call.ErrCalleeOffline) {
		t.Fatalf("want callee offline, got %v", err)
	}
	if alice.Current().Phase != call.PhaseIdle {
		t.Fatal("caller left calling after an offline error")
	}
	rec := nextRecord(t, alice)
	wantEqual(t, "pushed record", [2]any{rec.Callee, rec.Status}, [2]any{"dave", proto.StatusOffline})
	r := e.recordAfterRestart("dave", rec.CID)
	wantEqual(t, "record", r.Status, proto.StatusOffline)
}

func TestForceKeepCallingDeliversOnSignIn(t *testing.T) {
	testForceKeepCallingDeliversOnSignIn(t, newEnv)
}

func testForceKeepCallingDeliversOnSignIn(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice := e.dial("alice", "a1")
	cid, err := alice.Call(ctx(t), "dave", proto.CallTypeVideo, call.CallOptions{ForceKeepCalling: true, Custom: "pick up"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	dave := e.dial("dave", "d1")
	bc := expect[*proto.BeCalling](t, dave)
	wantEqual(t, "beCalling", [3]any{bc.CID, bc.Caller, bc.Custom}, [3]any{cid, "alice", "pick up"})
	dave2 := e.dial("dave", "d2") // a second device signing in rings too
	expect[*proto.BeCalling](t, dave2)
	connect(t, alice, dave, cid)
	expect[*proto.CallerAckSync](t, dave2)
	if err := dave.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, alice)
	expect[*proto.HangupEvent](t, alice)
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", r.Status, proto.StatusCompleted)
}

func TestForceKeepCallingTimesOut(t *testing.T) { testForceKeepCallingTimesOut(t, newEnv) }

func testForceKeepCallingTimesOut(t *testing.T, newEnv envMaker) {
	e := newEnv(t, func(c *server.Config) { c.RingTimeout = 200 * time.Millisecond })
	alice := e.dial("alice", "a1")
	cid, err := alice.Call(ctx(t), "dave", proto.CallTypeAudio, call.CallOptions{ForceKeepCalling: true})
	if err != nil {
		t.Fatal(err)
	}
	hu := expect[*proto.HangupEvent](t, alice)
	wantEqual(t, "hangup reason", hu.Reason, proto.ReasonTimeout)
	dave := e.dial("dave", "d1") // signs in too late: nothing rings
	expectQuiet(t, dave, 100*time.Millisecond)
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", r.Status, proto.StatusTimeout)
}

func TestSimultaneousAcceptOneWins(t *testing.T) { testSimultaneousAcceptOneWins(t, newEnv) }

func testSimultaneousAcceptOneWins(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice := e.dial("alice", "a1")
	const devices = 4
	bobs := make([]*call.Client, devices)
	for i := range bobs {
		bobs[i] = e.dial("bob", string(rune('p'+i)))
	}
	for round := 0; round < 5; round++ {
		cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bobs...)
		var wg sync.WaitGroup
		errs := make([]error, devices)
		start := make(chan struct{})
		for i, b := range bobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = b.Response(ctx(t), cid, true)
			}()
		}
		close(start)
		wg.Wait()
		winners := 0
		var winner *call.Client
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				winner = bobs[i]
			case proto.CodeOf(err) == proto.CodeWrongState, errors.Is(err, call.ErrNotRinging):
			default:
				t.Fatalf("device %d: unexpected error %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d devices won the call", round, winners)
		}
		expect[*proto.CallAccepted](t, alice)
		for _, b := range bobs {
			if b == winner {
				continue
			}
			expect[*proto.CallerAckSync](t, b)
			if b.Current().Phase != call.PhaseIdle {
				t.Fatalf("a losing device still rings")
			}
		}
		if winner.Current().Phase != call.PhaseAnswered {
			t.Fatal("winner is not in the call")
		}
		if err := alice.Hangup(ctx(t)); err != nil {
			t.Fatal(err)
		}
		expect[*proto.HangupEvent](t, winner)
	}
}

func TestRingingCallerDisconnectCancels(t *testing.T) { testRingingCallerDisconnectCancels(t, newEnv) }

func testRingingCallerDisconnectCancels(t *testing.T, newEnv envMaker) {
	e := newEnv(t, func(c *server.Config) { c.CallerGrace = 100 * time.Millisecond })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	alice.Close()
	hu := expect[*proto.HangupEvent](t, bob)
	wantEqual(t, "hangup", [3]any{hu.CID, hu.Account, hu.Reason}, [3]any{cid, "alice", proto.ReasonCancelled})
	r := e.recordAfterRestart("bob", cid)
	wantEqual(t, "record", r.Status, proto.StatusCancelled)
}

func TestAnsweredCallSurvivesReconnect(t *testing.T) { testAnsweredCallSurvivesReconnect(t, newEnv) }

func testAnsweredCallSurvivesReconnect(t *testing.T, newEnv envMaker) {
	e := newEnv(t, func(c *server.Config) { c.ReconnectGrace = 2 * time.Second })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, cid)
	uid := bob.Current().UID
	bob.Close()
	expectQuiet(t, alice, 200*time.Millisecond) // the peer is only reconnecting

	bob = e.dial("bob", "b1")
	got := bob.Current()
	wantEqual(t, "resumed call", [4]any{got.CID, got.Peer, got.Phase, got.UID}, [4]any{cid, "alice", call.PhaseAnswered, uid})
	if got := bob.Login().ActiveCall; got == nil || got.CID != cid || !got.Answered {
		t.Fatalf("login activeCall = %+v", got)
	}
	if err := bob.Relay(ctx(t), "media", map[string]bool{"audio": false}); err != nil {
		t.Fatalf("relay after resume: %v", err)
	}
	expect[*proto.RelayEvent](t, alice)
	if err := bob.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, alice)
	expect[*proto.HangupEvent](t, alice)
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "bob"})
}

func TestAnsweredCallEndsWhenPeerStaysAway(t *testing.T) {
	testAnsweredCallEndsWhenPeerStaysAway(t, newEnv)
}

func testAnsweredCallEndsWhenPeerStaysAway(t *testing.T, newEnv envMaker) {
	e := newEnv(t, func(c *server.Config) { c.ReconnectGrace = 150 * time.Millisecond })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	bob.Close()
	cl := expect[*proto.ClientLeave](t, alice)
	wantEqual(t, "clientLeave", [2]any{cl.Account, cl.Reason}, [2]any{"bob", proto.ReasonNetworkLost})
	hu := expect[*proto.HangupEvent](t, alice)
	wantEqual(t, "hangup", [2]any{hu.Account, hu.Reason}, [2]any{"bob", proto.ReasonNetworkLost})
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", r.Status, proto.StatusNetworkLost)
}

func TestPresenceAndContacts(t *testing.T) { testPresenceAndContacts(t, newEnv) }

func testPresenceAndContacts(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice := e.dial("alice", "a1")
	if _, err := alice.Contacts(ctx(t)); err != nil { // watch presence from here on
		t.Fatal(err)
	}
	bob := e.dial("bob", "b1")
	wantPresence(t, alice, "bob", proto.PresenceOnline)

	contacts, err := alice.Contacts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "contacts", contacts, []proto.Contact{
		{Account: "alice", Presence: proto.PresenceOnline}, {Account: "bob", Presence: proto.PresenceOnline},
		{Account: "carol", Presence: proto.PresenceOffline}, {Account: "dave", Presence: proto.PresenceOffline}})

	carol := e.dial("carol", "c1")
	if _, err := carol.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	wantPresence(t, carol, "bob", proto.PresenceInCall)
	contacts, err = carol.Contacts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "alice in contacts", contacts[0], proto.Contact{Account: "alice", Presence: proto.PresenceInCall})
	noPresence(t, bob, 50*time.Millisecond) // bob never asked for contacts
	alice.Hangup(ctx(t))
	wantPresence(t, carol, "bob", proto.PresenceOnline)
	bob.Close()
	wantPresence(t, carol, "bob", proto.PresenceOffline)
}

func TestHistoryIsPagedAndPrivate(t *testing.T) { testHistoryIsPagedAndPrivate(t, newEnv) }

func testHistoryIsPagedAndPrivate(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice, bob, carol := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("carol", "c1")
	var cids []string
	for range 5 {
		cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
		alice.Hangup(ctx(t))
		expect[*proto.HangupEvent](t, bob)
		waitRecord(t, alice, cid)
		cids = append(cids, cid)
	}
	var got []string
	before := int64(0)
	for {
		page, err := bob.History(ctx(t), before, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) > 2 {
			t.Fatalf("page of %d records with limit 2", len(page.Records))
		}
		for _, r := range page.Records {
			got = append(got, r.CID)
		}
		if page.Next == 0 {
			break
		}
		before = page.Next
	}
	want := []string{cids[4], cids[3], cids[2], cids[1], cids[0]}
	wantEqual(t, "bob's history, newest first", got, want)
	page, err := carol.History(ctx(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "carol's history", len(page.Records), 0)
}

func wantPresence(t *testing.T, c *call.Client, account string, p proto.Presence) {
	t.Helper()
	wantPresenceWithin(t, c, account, p, testTimeout)
}

// wantPresenceWithin is wantPresence for news that may take longer.
func wantPresenceWithin(t *testing.T, c *call.Client, account string, p proto.Presence, within time.Duration) {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case ev := <-c.Events():
			if pc, ok := ev.(*proto.PresenceChanged); ok && pc.Account == account && pc.Presence == p {
				return
			}
		case <-timer.C:
			t.Fatalf("%s never saw %s become %s within %v", c.Account(), account, p, within)
		}
	}
}

// nextRecord returns the next callRecord event on c.
func nextRecord(t *testing.T, c *call.Client) proto.CallRecord {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case ev := <-c.Events():
			if r, ok := ev.(*proto.CallRecordEvent); ok {
				return r.CallRecord
			}
		case <-timer.C:
			t.Fatalf("%s: no call record within %s", c.Account(), testTimeout)
		}
	}
}

// noPresence fails if c, which never asked for contacts, is told of presence.
func noPresence(t *testing.T, c *call.Client, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-c.Events():
			if pc, ok := ev.(*proto.PresenceChanged); ok {
				t.Fatalf("%s got presence %+v without watching", c.Account(), pc)
			}
		case <-timer.C:
			return
		}
	}
}

func TestRejectAsBusy(t *testing.T) { testRejectAsBusy(t, newEnv) }

func testRejectAsBusy(t *testing.T, newEnv envMaker) {
	e := newEnv(t, nil)
	alice, bob1, bob2 := e.dial("alice", "a1"), e.dial("bob", "b1"), e.dial("bob", "b2")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob1, bob2)
	if err := bob1.RejectBusy(ctx(t), cid); err != nil {
		t.Fatal(err)
	}
	rej := expect[*proto.CallRejected](t, alice)
	wantEqual(t, "callRejected reason", rej.Reason, proto.ReasonBusy)
	expect[*proto.CallerAckSync](t, bob2)
	r := e.recordAfterRestart("alice", cid)
	wantEqual(t, "record", r.Status, proto.StatusBusy)
}
