package server_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// These tests send what a buggy or hostile client might: every bad input
// gets an error reply with a stable code (and the request's id when the
// envelope could be decoded), and neither the connection nor the server
// suffers for it.

// stillServes checks that a client other than the misbehaving one is still
// served.
func stillServes(t *testing.T, c *call.Client) {
	t.Helper()
	if _, err := c.Contacts(ctx(t)); err != nil {
		t.Fatalf("%s: contacts after bad input elsewhere: %v", c.Account(), err)
	}
}

// badInput is one message a misbehaving client sends, and the reply it gets.
// FuzzServerConnection is seeded with them.
type badInput struct {
	name   string
	msg    string
	binary bool
	code   proto.Code // "" = the message is valid after all
	id     uint64     // of the reply
}

func pad(msg string, size int) string { return msg + strings.Repeat(" ", size-len(msg)) }

func badInputs() []badInput {
	return []badInput{
		{name: "malformed JSON", msg: `{"type":"contacts","id":7,`, code: proto.CodeBadRequest},
		{name: "not JSON", msg: `hello`, code: proto.CodeBadRequest},
		{name: "empty message", msg: ``, code: proto.CodeBadRequest},
		{name: "not an object", msg: `[{"type":"contacts","id":7}]`, code: proto.CodeBadRequest},
		{name: "trailing data", msg: `{"type":"contacts","id":8}{"type":"contacts","id":9}`, code: proto.CodeBadRequest, id: 8},
		{name: "unknown type", msg: `{"type":"dance","id":10,"data":{}}`, code: proto.CodeUnknownType, id: 10},
		{name: "event type", msg: `{"type":"beCalling","id":11,"data":{}}`, code: proto.CodeUnknownType, id: 11},
		{name: "reply type", msg: `{"type":"reply","id":12,"result":{}}`, code: proto.CodeUnknownType, id: 12},
		{name: "missing type", msg: `{"id":13,"data":{}}`, code: proto.CodeBadRequest, id: 13},
		{name: "empty type", msg: `{"type":"","id":26,"data":{}}`, code: proto.CodeBadRequest, id: 26},
		{name: "null type", msg: `{"type":null,"id":27,"data":{}}`, code: proto.CodeBadRequest, id: 27},
		{name: "unknown envelope field", msg: `{"type":"contacts","id":14,"data":{},"extra":1}`, code: proto.CodeBadRequest, id: 14},
		{name: "unknown data field", msg: `{"type":"call","id":15,"data":{"type":1,"callee":"bob","video":true}}`, code: proto.CodeBadRequest, id: 15},
		{name: "wrong-typed field", msg: `{"type":"call","id":16,"data":{"type":"video","callee":"bob"}}`, code: proto.CodeBadRequest, id: 16},
		{name: "wrong-typed id", msg: `{"type":"contacts","id":"17"}`, code: proto.CodeBadRequest},
		{name: "missing field", msg: `{"type":"call","id":18,"data":{"type":1}}`, code: proto.CodeBadRequest, id: 18},
		{name: "missing data", msg: `{"type":"relay","id":19}`, code: proto.CodeBadRequest, id: 19},
		{name: "missing id", msg: `{"type":"contacts","data":{}}`, code: proto.CodeBadRequest},
		{name: "id 0", msg: `{"type":"contacts","id":0}`, code: proto.CodeBadRequest},
		{name: "invalid account", msg: `{"type":"call","id":20,"data":{"type":1,"callee":"bob smith"}}`, code: proto.CodeBadRequest, id: 20},
		{name: "over-long field", msg: `{"type":"call","id":21,"data":{"type":1,"callee":"bob","pushConfig":{"custom":"` +
			strings.Repeat("x", proto.MaxCustomLen+1) + `"}}}`, code: proto.CodeBadRequest, id: 21},
		{name: "binary frame", msg: `{"type":"contacts","id":22}`, binary: true, code: proto.CodeBadRequest},
		{name: "oversized", msg: pad(`{"type":"contacts","id":23}`, 70<<10), code: proto.CodeTooLarge},
		{name: "oversized binary", msg: pad(`{"type":"contacts","id":24}`, 70<<10), binary: true, code: proto.CodeBadRequest},
		{name: "largest valid message", msg: pad(`{"type":"contacts","id":25}`, proto.MaxMessageSize), id: 25},
	}
}

func TestBadInputKeepsConnection(t *testing.T) {
	e := newEnv(t, nil)
	dave := e.dial("dave", "d1")
	c := dialRaw(t, e.url)
	c.login("alice", e.tokens["alice"], "a-raw")

	for _, tc := range badInputs() {
		t.Run(tc.name, func(t *testing.T) {
			defer c.use(t)()
			typ := websocket.MessageText
			if tc.binary {
				typ = websocket.MessageBinary
			}
			c.write(typ, []byte(tc.msg))
			if tc.code == "" {
				c.wantResult(tc.id, nil)
			} else {
				c.wantError(tc.id, tc.code)
			}
			c.healthy()
			stillServes(t, dave)
		})
	}
}

func TestHardLimitClosesConnection(t *testing.T) {
	e := newEnv(t, nil)
	dave := e.dial("dave", "d1")
	c := dialRaw(t, e.url)
	c.login("alice", e.tokens["alice"], "a-raw")
	// The write may fail half way when the server hangs up: what matters
	// is that it does.
	wctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	c.ws.Write(wctx, websocket.MessageText, []byte(`"`+strings.Repeat("x", 1<<20)+`"`))
	cancel()
	c.closed(testTimeout)
	stillServes(t, dave)
	again := dialRaw(t, e.url)
	again.login("alice", e.tokens["alice"], "a-raw")
	again.healthy()
}

func TestRequestsBeforeLogin(t *testing.T) {
	e := newEnv(t, nil)
	c := dialRaw(t, e.url)
	for _, r := range []struct {
		typ  string
		data any
	}{
		{proto.TypeContacts, proto.Contacts{}},
		{proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "bob"}},
		{proto.TypeResponse, proto.Response{CID: "c1", Accepted: true}},
		{proto.TypeStartRTC, proto.StartRTC{CID: "c1"}},
		{proto.TypeHangup, proto.Hangup{CID: "c1"}},
		{proto.TypeRelay, proto.Relay{CID: "c1", Kind: "offer", Payload: json.RawMessage(`{}`)}},
		{proto.TypeHistory, proto.History{}},
	} {
		c.fail(r.typ, r.data, proto.CodeNotSignedIn)
	}
	// Input errors are reported before the missing login.
	c.fail(proto.TypeCall, proto.Call{Callee: "bob"}, proto.CodeBadRequest)
	c.login("alice", e.tokens["alice"], "a-raw")
	c.healthy()
}

func TestLoginErrors(t *testing.T) {
	e := newEnv(t, nil)
	c := dialRaw(t, e.url)
	login := func(account, token string) proto.Login {
		return proto.Login{Account: account, Token: token, ClientType: proto.ClientWeb, DeviceID: "a-raw"}
	}
	c.fail(proto.TypeLogin, login("alice", "wrong"), proto.CodeUnauthorized)
	c.fail(proto.TypeLogin, login("alice", e.tokens["bob"]), proto.CodeUnauthorized)
	c.fail(proto.TypeLogin, login("nobody", "x"), proto.CodeUnauthorized)
	c.fail(proto.TypeContacts, proto.Contacts{}, proto.CodeNotSignedIn)

	res := c.login("alice", e.tokens["alice"], "a-raw")
	wantEqual(t, "login", [3]any{res.Account, res.DeviceID, res.ActiveCall}, [3]any{"alice", "a-raw", (*proto.ActiveCall)(nil)})
	c.fail(proto.TypeLogin, login("alice", e.tokens["alice"]), proto.CodeAlreadySigned)
	c.fail(proto.TypeLogin, login("bob", e.tokens["bob"]), proto.CodeAlreadySigned)
	c.healthy()
	// Still alice, not bob.
	c.fail(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "alice"}, proto.CodeCallSelf)

	// Without a deviceId the server picks one.
	anon := dialRaw(t, e.url)
	var res2 proto.LoginResult
	anon.do(proto.TypeLogin, proto.Login{Account: "bob", Token: e.tokens["bob"], ClientType: proto.ClientBot}, &res2)
	if res2.DeviceID == "" || res2.ICEServers == nil || res2.ServerTime == 0 {
		t.Fatalf("login result %+v: want a device id, ICE servers ([] at least) and the server time", res2)
	}
}

func TestCallErrors(t *testing.T) {
	e := newEnv(t, nil)
	dave := e.dial("dave", "d1")
	c := dialRaw(t, e.url)
	c.login("alice", e.tokens["alice"], "a-raw")
	for _, tc := range []struct {
		callee string
		code   proto.Code
	}{
		{"alice", proto.CodeCallSelf},
		{"zed", proto.CodeUnknownAccount},
		{"Dave", proto.CodeUnknownAccount}, // names are case-sensitive
		{"carol", proto.CodeCalleeOffline},
	} {
		c.fail(proto.TypeCall, proto.Call{Type: proto.CallTypeVideo, Callee: tc.callee}, tc.code)
		c.healthy()
	}
	expectQuiet(t, dave, 50*time.Millisecond)
	stillServes(t, dave)
}

// actOn sends response, startRtc, hangup and relay for cid and requires
// each to fail with code.
func actOn(c *rawClient, cid string, code proto.Code) {
	c.t.Helper()
	c.fail(proto.TypeResponse, proto.Response{CID: cid, Accepted: true}, code)
	c.fail(proto.TypeStartRTC, proto.StartRTC{CID: cid}, code)
	c.fail(proto.TypeHangup, proto.Hangup{CID: cid}, code)
	c.fail(proto.TypeRelay, proto.Relay{CID: cid, Kind: "offer", Payload: json.RawMessage(`{"sdp":"v=0"}`)}, code)
	c.healthy()
}

func TestOnlyPartiesActOnACall(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	carol := dialRaw(t, e.url)
	carol.login("carol", e.tokens["carol"], "c-raw")

	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	actOn(carol, cid, proto.CodeNotParticipant)
	actOn(carol, "feedfacefeedfacefeedface", proto.CodeNoSuchCall)

	connect(t, alice, bob, cid)
	actOn(carol, cid, proto.CodeNotParticipant)
	if err := alice.Relay(ctx(t), "offer", map[string]string{"sdp": "v=0"}); err != nil {
		t.Fatalf("relay after carol's attempts: %v", err)
	}
	expect[*proto.RelayEvent](t, bob)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, bob)
	expect[*proto.HangupEvent](t, bob)
	waitRecord(t, alice, cid)
	actOn(carol, cid, proto.CodeNoSuchCall)

	// Carol heard nothing of the call.
	for _, ev := range carol.events {
		if ev.Type != proto.TypePresence {
			t.Errorf("carol got %s %s", ev.Type, ev.Data)
		}
	}
}

func TestOtherDeviceCannotActOnAnsweredCall(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob1 := e.dial("alice", "a1"), e.dial("bob", "b1")
	bob2 := dialRaw(t, e.url)
	bob2.login("bob", e.tokens["bob"], "b2")

	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob1)
	bc := eventData[proto.BeCalling](bob2, proto.TypeBeCalling)
	wantEqual(t, "bob2 beCalling", [2]any{bc.CID, bc.Caller}, [2]any{cid, "alice"})
	connect(t, alice, bob1, cid)
	ack := eventData[proto.CallerAckSync](bob2, proto.TypeCallerAckSync)
	wantEqual(t, "callerAckSync", [3]any{ack.CID, ack.Accepted, ack.FromClientType}, [3]any{cid, true, proto.ClientDesktop})

	bob2.fail(proto.TypeHangup, proto.Hangup{CID: cid}, proto.CodeNotParticipant)
	bob2.fail(proto.TypeStartRTC, proto.StartRTC{CID: cid}, proto.CodeNotParticipant)
	bob2.fail(proto.TypeRelay, proto.Relay{CID: cid, Kind: "offer", Payload: json.RawMessage(`{}`)}, proto.CodeNotParticipant)
	bob2.fail(proto.TypeResponse, proto.Response{CID: cid, Accepted: true}, proto.CodeWrongState)
	bob2.healthy()

	// The call is untouched: relay still reaches the answering device.
	if err := alice.Relay(ctx(t), "candidate", map[string]any{"candidate": "c", "sdpMid": "0"}); err != nil {
		t.Fatal(err)
	}
	rel := expect[*proto.RelayEvent](t, bob1)
	wantEqual(t, "relay kind", rel.Kind, "candidate")
	if err := bob1.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, alice)
	expect[*proto.HangupEvent](t, alice)
	rec := eventData[proto.CallRecordEvent](bob2, proto.TypeCallRecord)
	wantEqual(t, "bob2's record", [2]any{rec.CID, rec.Status}, [2]any{cid, proto.StatusCompleted})
}

func TestRoomRequestsOutOfOrder(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.dial("bob", "b1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")

	var placed proto.CallResult
	alice.do(proto.TypeCall, proto.Call{Type: proto.CallTypeVideo, Callee: "bob"}, &placed)
	cid := placed.CID
	expect[*proto.BeCalling](t, bob)
	relay := proto.Relay{CID: cid, Kind: "offer", Payload: json.RawMessage(`{"sdp":"v=0"}`)}

	// Before the answer: no room yet, for either side.
	alice.fail(proto.TypeStartRTC, proto.StartRTC{CID: cid}, proto.CodeWrongState)
	alice.fail(proto.TypeRelay, relay, proto.CodeNotInRoom)
	bob2 := dialRaw(t, e.url)
	bob2.login("bob", e.tokens["bob"], "b2")
	bob2.event(proto.TypeBeCalling) // a device signing in while a call rings rings too
	bob2.fail(proto.TypeStartRTC, proto.StartRTC{CID: cid}, proto.CodeWrongState)
	alice.healthy()

	// Answered, but alice has not joined the room.
	if err := bob.Response(ctx(t), cid, true); err != nil {
		t.Fatal(err)
	}
	alice.event(proto.TypeCallAccepted)
	alice.fail(proto.TypeRelay, relay, proto.CodeNotInRoom)

	// Alice is in the room, bob is not yet.
	var joined proto.StartRTCResult
	alice.do(proto.TypeStartRTC, proto.StartRTC{CID: cid}, &joined)
	sd := eventData[proto.SyncDone](alice, proto.TypeSyncDone)
	wantEqual(t, "syncDone", sd, proto.SyncDone{CID: cid, Code: 200, UserList: []proto.RoomMember{}})
	alice.fail(proto.TypeRelay, relay, proto.CodeNotInRoom)

	if _, err := bob.StartRTC(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	expect[*proto.SyncDone](t, bob)
	alice.event(proto.TypeClientJoin)
	alice.do(proto.TypeRelay, relay, nil)
	rel := expect[*proto.RelayEvent](t, bob)
	wantEqual(t, "relay", [3]any{rel.From, rel.FromUID, string(rel.Payload)}, [3]any{"alice", joined.UID, `{"sdp":"v=0"}`})
	alice.do(proto.TypeHangup, proto.Hangup{CID: cid}, nil)
	expect[*proto.ClientLeave](t, bob)
	expect[*proto.HangupEvent](t, bob)
}

func TestCallerAlreadyInACall(t *testing.T) {
	e := newEnv(t, nil)
	bob, carol := e.dial("bob", "b1"), e.dial("carol", "c1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a1")

	var placed proto.CallResult
	alice.do(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "bob"}, &placed)
	expect[*proto.BeCalling](t, bob)
	alice.fail(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "carol"}, proto.CodeBusy)
	alice.fail(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "bob"}, proto.CodeBusy)
	// The account is busy, not just the device.
	alice2 := dialRaw(t, e.url)
	alice2.login("alice", e.tokens["alice"], "a2")
	alice2.fail(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "carol"}, proto.CodeBusy)
	alice.healthy()
	expectQuiet(t, carol, 50*time.Millisecond)

	alice.do(proto.TypeHangup, proto.Hangup{CID: placed.CID}, nil)
	hu := expect[*proto.HangupEvent](t, bob)
	wantEqual(t, "hangup", [2]any{hu.CID, hu.Reason}, [2]any{placed.CID, proto.ReasonCancelled})
	alice.do(proto.TypeCall, proto.Call{Type: proto.CallTypeAudio, Callee: "carol"}, &placed)
	expect[*proto.BeCalling](t, carol)
	alice.do(proto.TypeHangup, proto.Hangup{CID: placed.CID}, nil)
	expect[*proto.HangupEvent](t, carol)
}

// TestCloseWithIdleConnection: a client that connects and never signs in
// must not keep Close from returning. Close may take up to ShutdownWait to
// cut off a client that does not answer its close frame; on a loaded
// machine these answer late, so only a Close that outlasts that by far
// blocks.
func TestCloseWithIdleConnection(t *testing.T) {
	e := newEnv(t, nil)
	idle := dialRaw(t, e.url)
	idle.fail(proto.TypeContacts, proto.Contacts{}, proto.CodeNotSignedIn)
	refused := dialRaw(t, e.url)
	refused.fail(proto.TypeLogin, proto.Login{Account: "alice", Token: "wrong", ClientType: proto.ClientWeb}, proto.CodeUnauthorized)

	srv := e.srv
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(server.ShutdownWait + testTimeout):
		idle.ws.CloseNow() // let Close finish so the test can end
		refused.ws.CloseNow()
		<-closed
		t.Fatal("Server.Close blocks while connections that never signed in are open")
	}
	idle.closed(testTimeout)
	refused.closed(testTimeout)
}

// TestProtocolErrorRightAfterLogin: a frame that breaks the WebSocket
// protocol itself (a reserved opcode) closes the connection with 1002
// protocol error, even while the login before it is being processed, and
// the server carries on.
func TestProtocolErrorRightAfterLogin(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Logger = newLogSink().logger() })
	dave := e.dial("dave", "d1")
	login, err := json.Marshal(proto.Envelope{Type: proto.TypeLogin, ID: 1,
		Data: json.RawMessage(`{"account":"alice","token":"` + e.tokens["alice"] + `","clientType":"web","deviceId":"tcp"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		conn := dialTCP(t, e.addr)
		if _, err := conn.Write(append(wsFrame(1, login), wsFrame(3, nil)...)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(testTimeout))
		var status uint16
		for status == 0 {
			op, payload, err := readFrame(conn.r)
			if err != nil {
				t.Fatalf("no close frame before %v", err)
			}
			if op == 8 && len(payload) >= 2 {
				status = binary.BigEndian.Uint16(payload)
			}
		}
		if status != uint16(websocket.StatusProtocolError) {
			t.Fatalf("close status %d, want %d", status, websocket.StatusProtocolError)
		}
	}
	stillServes(t, dave)
}

// tcpConn is a websocket connection driven frame by frame.
type tcpConn struct {
	net.Conn
	r *bufio.Reader
}

// dialTCP opens a websocket to the server by hand; closed at cleanup.
func dialTCP(t *testing.T, addr string) tcpConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	conn.SetReadDeadline(time.Now().Add(testTimeout))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return tcpConn{conn, r}
}

// wsFrame is one final, masked (with a zero key) client frame.
func wsFrame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0x80|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(n))
	}
	return append(append(b, 0, 0, 0, 0), payload...)
}

// readFrame reads one unmasked server frame.
func readFrame(r *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		_, err = io.ReadFull(r, ext[:])
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		_, err = io.ReadFull(r, ext[:])
		n = binary.BigEndian.Uint64(ext[:])
	}
	if err != nil || n > 1<<20 {
		return 0, nil, fmt.Errorf("frame header: %v (length %d)", err, n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[0] & 0x0f, payload, err
}
