package call

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
)

// readLimit caps one message from the server; the server's own events are
// far smaller, so anything bigger is a broken or hostile server.
const readLimit = 1 << 20

// connect opens one websocket to the server and signs in on it, before any
// reader runs: the first message back must be the reply to the login.
func (c *Client) connect(ctx context.Context, deviceID string) (*websocket.Conn, proto.LoginResult, error) {
	cfg := c.cfg
	hc, release := dialClient(cfg)
	ws, resp, err := websocket.Dial(ctx, cfg.ServerURL, &websocket.DialOptions{HTTPClient: hc})
	release()
	if err != nil {
		return nil, proto.LoginResult{}, dialError(cfg.ServerURL, resp, err)
	}
	ws.SetReadLimit(readLimit)
	res, err := c.signIn(ctx, ws, deviceID)
	if err != nil {
		ws.CloseNow()
		return nil, proto.LoginResult{}, fmt.Errorf("sign in to %s as %s: %w", cfg.ServerURL, cfg.Account, err)
	}
	return ws, res, nil
}

func (c *Client) signIn(ctx context.Context, ws *websocket.Conn, deviceID string) (proto.LoginResult, error) {
	id := c.nextID.Add(1)
	req := proto.Login{Account: c.cfg.Account, Token: c.cfg.Token, ClientType: c.cfg.ClientType, DeviceID: deviceID}
	env, err := proto.NewRequest(proto.TypeLogin, id, req)
	if err != nil {
		return proto.LoginResult{}, err
	}
	msg, err := json.Marshal(env)
	if err != nil {
		return proto.LoginResult{}, fmt.Errorf("encode login: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	err = ws.Write(wctx, websocket.MessageText, msg)
	cancel()
	if err != nil {
		return proto.LoginResult{}, fmt.Errorf("send login: %w", err)
	}
	_, raw, err := ws.Read(ctx)
	if err != nil {
		return proto.LoginResult{}, fmt.Errorf("read login reply: %w", err)
	}
	var rep proto.Envelope
	if err := json.Unmarshal(raw, &rep); err != nil {
		return proto.LoginResult{}, fmt.Errorf("decode login reply: %w", err)
	}
	if rep.Type != proto.TypeReply || rep.ID != id {
		return proto.LoginResult{}, fmt.Errorf("server sent %q before answering the login", rep.Type)
	}
	if rep.Error != nil {
		return proto.LoginResult{}, rep.Error
	}
	var res proto.LoginResult
	if err := json.Unmarshal(rep.Result, &res); err != nil {
		return proto.LoginResult{}, fmt.Errorf("decode login result: %w", err)
	}
	return res, nil
}

// backoff is the pause before reconnect attempt n (1-based): min doubling
// up to max, with ±25% jitter so clients dropped together do not return
// together.
func backoff(n int, min, max time.Duration, jitter float64) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return time.Duration(float64(d) * (0.75 + jitter/2))
}
