package call

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// keepAlive pings the server every PingInterval; a ping unanswered within
// PingTimeout closes the connection, which the reader then reports as
// lost. Without it a network that silently drops packets would leave the
// client waiting on a dead socket for minutes.
func (c *Client) keepAlive(ws *websocket.Conn) (stop func()) {
	ctx, cancel := context.WithCancel(c.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(c.cfg.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(ctx, c.cfg.PingTimeout)
			err := ws.Ping(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				c.log.Warn("server did not answer a ping; dropping the connection", "err", err)
				ws.CloseNow()
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
