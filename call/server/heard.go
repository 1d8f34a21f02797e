package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// heardClock is when a connection last showed it is alive: a message, a
// ping or a pong from the client. The server pings only connections silent
// for a PingInterval: Duet's clients ping every 10 s themselves, so a
// server of 10,000 idle clients need not add its own ping and pong to each
// of theirs; browsers, which cannot ping, are pinged.
type heardClock struct {
	born time.Time    // monotonic base of last
	last atomic.Int64 // nanoseconds after born
}

func (h *heardClock) heard() { h.last.Store(int64(time.Since(h.born))) }

// silence is how long the connection has been quiet.
func (h *heardClock) silence() time.Duration {
	return time.Since(h.born) - time.Duration(h.last.Load())
}

// heardOn has the connection's control frames count as life; the read
// context carries the session.
func heardOn(opts websocket.AcceptOptions) *websocket.AcceptOptions {
	note := func(ctx context.Context) {
		if sess, ok := ctx.Value(sessionKey{}).(*session); ok {
			sess.heard.heard()
		}
	}
	opts.OnPingReceived = func(ctx context.Context, _ []byte) bool {
		note(ctx)
		return true
	}
	opts.OnPongReceived = func(ctx context.Context, _ []byte) { note(ctx) }
	return &opts
}
