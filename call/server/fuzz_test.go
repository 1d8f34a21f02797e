package server_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/proto"
	"duet/call/server"
)

// Fuzz input modes: bits of the second argument.
const (
	fuzzLogin   = 1 << iota // sign in as alice before sending the input
	fuzzSplit               // send each '\n'-separated part as its own message
	fuzzBinary              // send binary frames instead of text
	fuzzPadMax              // pad the last message with spaces to MaxMessageSize
	fuzzPadOver             // pad the last message with spaces to 70 KiB, over the limit
)

// padded is how big fuzzPadOver makes a message.
const padded = 70 << 10

// FuzzServerConnection sends arbitrary input on one connection to a real
// server, then a valid request: the connection must answer it, and the
// server must keep serving its other client (bob, signed in throughout, so
// calls to him ring). One server serves every input; its timeouts are short
// so calls the inputs place end quickly.
func FuzzServerConnection(f *testing.F) {
	leaktest.Check(f)
	url, token, bob := fuzzServer(f)

	for _, in := range badInputs() {
		mode := byte(fuzzLogin)
		if in.binary {
			mode |= fuzzBinary
		}
		// Big inputs slow the fuzzer down (every mutation of them goes
		// over the wire and gets minimized): the mode pads them instead.
		msg := strings.TrimRight(in.msg, " ")
		switch {
		case len(in.msg) > proto.MaxMessageSize:
			mode |= fuzzPadOver
		case len(in.msg) == proto.MaxMessageSize:
			mode |= fuzzPadMax
		}
		f.Add([]byte(msg), mode)
	}
	for _, msg := range []string{
		`{"type":"contacts","id":1}`,
		`{"type":"history","id":1,"data":{"limit":5}}`,
		`{"type":"call","id":1,"data":{"type":2,"callee":"bob","pushConfig":{"custom":"hi"}}}`,
		`{"type":"call","id":1,"data":{"type":1,"callee":"alice"}}`,
		`{"type":"call","id":1,"data":{"type":1,"callee":"carol","forceKeepCalling":true}}`,
		`{"type":"response","id":1,"data":{"cid":"c1","accepted":true}}`,
		`{"type":"response","id":1,"data":{"cid":"c1","accepted":false,"reason":"busy"}}`,
		`{"type":"startRtc","id":1,"data":{"cid":"c1","mode":0}}`,
		`{"type":"hangup","id":1,"data":{"cid":"c1","reason":"timeout"}}`,
		`{"type":"relay","id":1,"data":{"cid":"c1","kind":"media","payload":{"audio":true,"video":false}}}`,
		`{"type":"login","id":1,"data":{"account":"alice","token":"wrong","clientType":"web"}}`,
		`{"type":"login","id":1,"data":{"account":"bob","token":"","clientType":"bot","deviceId":"b"}}`,
		`{"type":"login","id":1,"data":{"account":"alice","token":"1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","clientType":"web"}}`,
		`{"type":"login","id":1,"data":{"account":"carol","token":"0.x","clientType":"web"}}`,
		"{\"type\":\"call\",\"id\":1,\"data\":{\"type\":1,\"callee\":\"bob\"}}\n" +
			"{\"type\":\"call\",\"id\":2,\"data\":{\"type\":1,\"callee\":\"bob\"}}\n" +
			"{\"type\":\"history\",\"id\":3}",
	} {
		f.Add([]byte(msg), byte(fuzzLogin))
		f.Add([]byte(msg), byte(fuzzSplit))
		f.Add([]byte(msg), byte(fuzzLogin|fuzzSplit))
	}

	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		if len(data) > 256<<10 {
			return // over the hard limit the server hangs up by design
		}
		c := dialRaw(t, url)
		if mode&fuzzLogin != 0 {
			c.login("alice", token, "fuzz")
		}
		msgs := [][]byte{data}
		if mode&fuzzSplit != 0 {
			// At most 64 messages: a client that never reads its replies
			// is disconnected once its send queue fills, by design.
			msgs = bytes.SplitN(data, []byte("\n"), 64)
		}
		last := msgs[len(msgs)-1] // a copy is padded: data must not change
		switch {
		case mode&fuzzPadOver != 0 && len(last) < padded:
			msgs[len(msgs)-1] = slices.Concat(last, bytes.Repeat([]byte(" "), padded-len(last)))
		case mode&fuzzPadMax != 0 && len(last) < proto.MaxMessageSize:
			msgs[len(msgs)-1] = slices.Concat(last, bytes.Repeat([]byte(" "), proto.MaxMessageSize-len(last)))
		}
		typ := websocket.MessageText
		if mode&fuzzBinary != 0 {
			typ = websocket.MessageBinary
		}
		for _, m := range msgs {
			c.write(typ, m)
		}

		// The input may use any id; this one it is unlikely to.
		c.lastID = 1<<63 + 12345
		var rep proto.Envelope
		for range 3 { // up to 64 messages may have spent the connection's budget
			id := c.request(proto.TypeContacts, proto.Contacts{})
			rep = c.read()
			for rep.Type != proto.TypeReply || rep.ID != id {
				rep = c.read()
			}
			if rep.Error == nil || rep.Error.Code != proto.CodeRateLimited {
				break
			}
			time.Sleep(time.Duration(rep.Error.RetryAfterMs) * time.Millisecond)
		}
		switch {
		case rep.Error == nil:
		case rep.Error.Code == proto.CodeNotSignedIn && mode&fuzzLogin == 0:
		default:
			t.Fatalf("contacts after the input: %v", rep.Error)
		}
		select {
		case <-bob.Done():
			t.Fatalf("bob was disconnected: %v", bob.Err())
		default:
		}
	})
}

// fuzzServer starts the server FuzzServerConnection uses for every input
// and signs bob in; it returns the URL, alice's token and bob's client.
func fuzzServer(f *testing.F) (url, aliceToken string, bob *call.Client) {
	server.SetTokenHashCost(f, 1, 64)
	db := filepath.Join(f.TempDir(), "duet.db")
	tokens := map[string]string{}
	for _, name := range []string{"alice", "bob", "carol"} {
		tok, err := server.AddAccount(context.Background(), db, name)
		if err != nil {
			f.Fatal(err)
		}
		tokens[name] = tok
	}
	srv, err := server.New(server.Config{DB: db, RingTimeout: 300 * time.Millisecond,
		CallerGrace: 50 * time.Millisecond, ReconnectGrace: 100 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(ln)
	f.Cleanup(func() {
		if err := srv.Close(); err != nil {
			f.Errorf("close server: %v", err)
		}
		http.DefaultClient.CloseIdleConnections()
	})
	url = "ws://" + ln.Addr().String() + "/ws"

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	bob, err = call.Dial(ctx, call.Config{ServerURL: url, Account: "bob", Token: tokens["bob"], DeviceID: "b1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { bob.Close() })
	go func() {
		for range bob.Events() {
		}
	}()
	return url, tokens["alice"], bob
}
