package call

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
)

// dialTimeout bounds one reconnect attempt.
const dialTimeout = 10 * time.Second

// reconnect redials until it signs in again, the client closes (nil, nil)
// or the server refuses the account for good (nil, err).
func (c *Client) reconnect(cause error) (*websocket.Conn, error) {
	c.events.Push(&Reconnecting{Err: cause})
	lost := time.Now()
	c.mu.Lock()
	deviceID := c.login.DeviceID
	c.mu.Unlock()
	for attempt := 1; ; attempt++ {
		wait := backoff(attempt, c.cfg.ReconnectMin, c.cfg.ReconnectMax, rand.Float64())
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil, nil
		}
		ctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
		ws, res, err := c.connect(ctx, deviceID)
		cancel()
		switch {
		case c.ctx.Err() != nil:
			if ws != nil {
				ws.CloseNow()
			}
			return nil, nil
		case permanent(err):
			return nil, err
		case err != nil:
			c.log.Info("reconnect failed", "attempt", attempt, "err", err)
			continue
		}
		c.resumed(ws, res, attempt, time.Since(lost))
		return ws, nil
	}
}

// permanent errors end the client instead of being retried: the server
// will not take this account back.
func permanent(err error) bool {
	if errors.Is(err, ErrCertificate) || errors.Is(err, ErrTLSMismatch) {
		return true // retrying will not change the certificate or the URL
	}
	switch proto.CodeOf(err) {
	case proto.CodeUnauthorized, proto.CodeUnknownAccount, proto.CodeBadRequest:
		return true
	}
	return false
}

// resumed installs the new connection and brings the call state in line
// with what the server kept, telling the application what it missed.
func (c *Client) resumed(ws *websocket.Conn, res proto.LoginResult, attempts int, down time.Duration) {
	c.mu.Lock()
	c.ws, c.login = ws, res
	missed, abandoned := c.state.reconcile(res, c.cfg.Account, time.Now().UnixMilli())
	c.mu.Unlock()
	for _, ev := range missed {
		c.events.Push(ev)
	}
	c.events.Push(&Reconnected{ActiveCall: res.ActiveCall, Attempts: attempts, Downtime: down})
	c.log.Info("reconnected", "attempts", attempts, "down", down.Round(time.Millisecond), "activeCall", res.ActiveCall != nil)
	if abandoned != "" {
		// The application hung up while the connection was down; the
		// server still holds the call, so end it there too.
		c.bg.Add(1)
		go func() {
			defer c.bg.Done()
			ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
			defer cancel()
			err := c.request(ctx, proto.TypeHangup, proto.Hangup{CID: abandoned}, nil, nil)
			if err != nil && !errors.Is(err, ErrClosed) {
				c.log.Warn("hang up call abandoned while offline", "cid", abandoned, "err", err)
			}
		}()
	}
}
