package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
)

// rawClient speaks the protocol by hand over a plain websocket, so tests
// can send what the Go client never would. Requests are answered in order,
// so a test sends one and reads its reply before the next. Not safe for
// concurrent use; closed at cleanup.
type rawClient struct {
	t      testing.TB
	ws     *websocket.Conn
	lastID uint64
	// events holds events read while waiting for a reply, oldest first.
	events []proto.Envelope
}

// dialRaw opens a websocket to url without signing in.
func dialRaw(t testing.TB, url string) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return &rawClient{t: t, ws: ws, lastID: 100}
}

// use makes c report failures to t (a subtest) until restore is called.
func (c *rawClient) use(t testing.TB) (restore func()) {
	prev := c.t
	c.t = t
	return func() { c.t = prev }
}

// write sends b as one message of type typ, as is.
func (c *rawClient) write(typ websocket.MessageType, b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, typ, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// request sends a well-formed request with a fresh id and returns the id.
func (c *rawClient) request(typ string, data any) uint64 {
	c.t.Helper()
	c.lastID++
	env, err := proto.NewRequest(typ, c.lastID, data)
	if err != nil {
		c.t.Fatal(err)
	}
	msg, err := json.Marshal(env)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(websocket.MessageText, msg)
	return c.lastID
}

// read returns the next message from the server.
func (c *rawClient) read() proto.Envelope {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	typ, b, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("server sent a %v message", typ)
	}
	var env proto.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		c.t.Fatalf("server sent %q: %v", b, err)
	}
	return env
}

// reply reads up to the reply to id, keeping the events before it. Any
// other reply fails the test: requests are answered in order.
func (c *rawClient) reply(id uint64) proto.Envelope {
	c.t.Helper()
	for {
		env := c.read()
		if env.Type != proto.TypeReply {
			c.events = append(c.events, env)
			continue
		}
		if env.ID != id {
			c.t.Fatalf("want the reply to %d, got %+v (error %v)", id, env, env.Error)
		}
		return env
	}
}

// wantError reads the reply to id and checks it is an error with code and
// a message.
func (c *rawClient) wantError(id uint64, code proto.Code) *proto.Error {
	c.t.Helper()
	env := c.reply(id)
	if env.Error == nil {
		c.t.Fatalf("reply to %d: want error %s, got result %s", id, code, env.Result)
	}
	if env.Error.Code != code || env.Error.Message == "" {
		c.t.Fatalf("reply to %d: want error %s with a message, got %q %q", id, code, env.Error.Code, env.Error.Message)
	}
	if env.Result != nil {
		c.t.Fatalf("reply to %d carries both an error and a result", id)
	}
	return env.Error
}

// wantResult reads the reply to id, checks it succeeded and decodes its
// result into v (if non-nil).
func (c *rawClient) wantResult(id uint64, v any) {
	c.t.Helper()
	env := c.reply(id)
	if env.Error != nil {
		c.t.Fatalf("reply to %d: %v", id, env.Error)
	}
	if v != nil {
		if err := json.Unmarshal(env.Result, v); err != nil {
			c.t.Fatalf("reply to %d: decode %s: %v", id, env.Result, err)
		}
	}
}

// do sends a request and requires it to succeed.
func (c *rawClient) do(typ string, data, result any) {
	c.t.Helper()
	c.wantResult(c.request(typ, data), result)
}

// fail sends a request and requires it to fail with code.
func (c *rawClient) fail(typ string, data any, code proto.Code) {
	c.t.Helper()
	c.wantError(c.request(typ, data), code)
}

// login signs the connection in as account on device.
func (c *rawClient) login(account, token, device string) proto.LoginResult {
	c.t.Helper()
	var res proto.LoginResult
	c.do(proto.TypeLogin, proto.Login{Account: account, Token: token, ClientType: proto.ClientWeb, DeviceID: device}, &res)
	return res
}

// healthy checks the connection still answers a valid request.
func (c *rawClient) healthy() {
	c.t.Helper()
	var res proto.ContactsResult
	c.do(proto.TypeContacts, proto.Contacts{}, &res)
	if len(res.Contacts) == 0 {
		c.t.Fatal("contacts: empty")
	}
}

// event returns the oldest unread event of type typ, reading more if
// needed. Presence and call records are skipped; any other event of another
// type first fails the test.
func (c *rawClient) event(typ string) proto.Envelope {
	c.t.Helper()
	for {
		for len(c.events) > 0 {
			env := c.events[0]
			c.events = c.events[1:]
			switch env.Type {
			case typ:
				return env
			case proto.TypePresence, proto.TypeCallRecord:
				continue
			}
			c.t.Fatalf("want a %s event, got %s %s", typ, env.Type, env.Data)
		}
		env := c.read()
		if env.Type == proto.TypeReply {
			c.t.Fatalf("want a %s event, got a reply to %d", typ, env.ID)
		}
		c.events = append(c.events, env)
	}
}

// eventData returns the data of the next event of type typ decoded as T.
func eventData[T any](c *rawClient, typ string) T {
	c.t.Helper()
	var v T
	env := c.event(typ)
	if err := json.Unmarshal(env.Data, &v); err != nil {
		c.t.Fatalf("%s event %s: %v", typ, env.Data, err)
	}
	return v
}

// closed checks the server closed the connection within d.
func (c *rawClient) closed(d time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if _, _, err := c.ws.Read(ctx); err != nil {
			if ctx.Err() != nil {
				c.t.Fatalf("connection still open after %s", d)
			}
			return
		}
	}
}
