package server_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
	"duet/call/server"
)

// Behaviour docs/protocol.md states that no other test pins.

// TestBothPartiesLostEndedByFirst: when both devices of an answered call
// drop and neither comes back, the record names the party lost first.
func TestBothPartiesLostEndedByFirst(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.ReconnectGrace = 300 * time.Millisecond })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	alice.Close()
	// The server has seen alice go once bob's relays to her fail.
	eventually(t, "alice away", func() bool {
		return proto.CodeOf(bob.Relay(ctx(t), "media", map[string]bool{"audio": true})) == proto.CodeUnavailable
	})
	bob.Close()
	r := awaitHistory(t, e.dial("bob", "history-reader"), cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusNetworkLost, "alice"})
}

// TestPipelinedRequestsAppliedInOrder: a client may send requests without
// waiting for replies; they take effect in the order sent (a history asked
// right behind a hangup lists that call), and every one gets its reply,
// matched by id.
func TestPipelinedRequestsAppliedInOrder(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.dial("bob", "b1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")
	cid := rawCall(t, alice, bob)

	media := func(i int) proto.Relay {
		return proto.Relay{CID: cid, Kind: "media", Payload: json.RawMessage(fmt.Sprintf(`{"seq":%d}`, i))}
	}
	types := []string{proto.TypeRelay, proto.TypeHistory, proto.TypeRelay, proto.TypeContacts, proto.TypeRelay,
		proto.TypeHangup, proto.TypeRelay, proto.TypeHistory}
	data := []any{media(1), proto.History{}, media(2), proto.Contacts{}, media(3), proto.Hangup{CID: cid}, media(4),
		proto.History{}}
	afterHangup := len(types) - 2
	ids := map[uint64]int{}
	for i, typ := range types {
		ids[alice.request(typ, data[i])] = i
	}
	for range types {
		env := alice.read()
		for env.Type != proto.TypeReply {
			alice.events = append(alice.events, env)
			env = alice.read()
		}
		i, ok := ids[env.ID]
		if !ok {
			t.Fatalf("a second reply, or a reply to an unknown id: %+v", env)
		}
		delete(ids, env.ID)
		switch {
		case i == afterHangup:
			if env.Error == nil || env.Error.Code != proto.CodeNoSuchCall {
				t.Fatalf("relay after the hangup: %+v, want no_such_call", env)
			}
			continue
		case env.Error != nil:
			t.Fatalf("%s (request %d): %v", types[i], i, env.Error)
		}
		if i == len(types)-1 {
			var h proto.HistoryResult
			if err := json.Unmarshal(env.Result, &h); err != nil {
				t.Fatal(err)
			}
			if len(h.Records) == 0 || h.Records[0].CID != cid {
				t.Fatalf("history right behind the hangup: %+v, want the call %s first", h.Records, cid)
			}
		}
	}
	for i := 1; i <= 3; i++ {
		rel := expect[*proto.RelayEvent](t, bob)
		wantEqual(t, "relay payload", string(rel.Payload), fmt.Sprintf(`{"seq":%d}`, i))
	}
	expect[*proto.ClientLeave](t, bob)
	expect[*proto.HangupEvent](t, bob)
}

// TestNullRelayPayload: null is a JSON value like any other: relayed as
// is; an absent payload is refused.
func TestNullRelayPayload(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.dial("bob", "b1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")
	cid := rawCall(t, alice, bob)
	alice.write(websocket.MessageText, fmt.Appendf(nil, `{"type":"relay","id":1,"data":{"cid":%q,"kind":"candidate","payload":null}}`, cid))
	alice.wantResult(1, nil)
	rel := expect[*proto.RelayEvent](t, bob)
	wantEqual(t, "relayed", [2]string{rel.Kind, string(rel.Payload)}, [2]string{"candidate", "null"})
	alice.write(websocket.MessageText, fmt.Appendf(nil, `{"type":"relay","id":2,"data":{"cid":%q,"kind":"candidate"}}`, cid))
	alice.wantError(2, proto.CodeBadRequest)
}
