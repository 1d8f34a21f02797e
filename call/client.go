package call

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"duet/call/internal/fifo"
	"duet/call/proto"
)

// Config is what a Client needs to sign in.
type Config struct {
	// ServerURL is the websocket endpoint, e.g. wss://duet.example.com:7600/ws
	// or ws://127.0.0.1:7600/ws (ServerURL makes one from what users type).
	ServerURL  string
	Account    string
	Token      string
	ClientType proto.ClientType
	// DeviceID names this device across reconnects so the server can hand a
	// call back to it; empty lets the server pick one.
	DeviceID string
	// NoAnswerTimeout ends an outgoing call nobody answered (default 30 s).
	NoAnswerTimeout time.Duration
	// Reconnect keeps the client alive across lost connections: it redials
	// with backoff, signs in again as the same device and takes its call
	// back (the server holds an answered call for a grace period, and media
	// is peer to peer meanwhile). *Reconnecting and *Reconnected report it;
	// only a refused sign-in, a newer connection of the same device
	// (ErrReplaced) or Close then ends the client.
	Reconnect bool
	// ReconnectMin and ReconnectMax bound the pause between attempts
	// (defaults 250 ms and 8 s).
	ReconnectMin, ReconnectMax time.Duration
	// PingInterval is how often the client checks that the server still
	// answers (default 10 s); a connection silent for PingInterval plus
	// PingTimeout (default 5 s) is treated as lost.
	PingInterval, PingTimeout time.Duration
	// RootCAs are the certificate authorities wss:// servers are checked
	// against; nil means the system's (LoadCA adds a development
	// certificate to them). Ignored when HTTPClient is set.
	RootCAs *x509.CertPool
	// HTTPClient dials the websocket; nil uses the default.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

func (cfg *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.NoAnswerTimeout, 30*time.Second)
	def(&cfg.ReconnectMin, 250*time.Millisecond)
	def(&cfg.ReconnectMax, 8*time.Second)
	def(&cfg.PingInterval, 10*time.Second)
	def(&cfg.PingTimeout, 5*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientType == proto.ClientUnknown {
		cfg.ClientType = proto.ClientDesktop
	}
}

// writeTimeout bounds one websocket write; a connection that cannot take a
// small message in this time is dead.
const writeTimeout = 10 * time.Second

// Client is one signed-in device. All methods are safe for concurrent use.
// Events arrive in server order on the channel from Events, which is closed
// after Close or once the client gives up (the last event is then a
// *Disconnected). The caller must call Close, and must keep reading Events
// or the undelivered events accumulate in memory.
type Client struct {
	cfg    Config
	log    *slog.Logger
	nextID atomic.Uint64
	events *fifo.Queue[Event]

	ctx        context.Context // ends when the client closes
	cancel     context.CancelFunc
	readerDone chan struct{}
	closeOnce  sync.Once
	bg         sync.WaitGroup // requests the client sends on its own

	mu      sync.Mutex
	ws      *websocket.Conn            // guarded by mu: nil while reconnecting
	login   proto.LoginResult          // guarded by mu: the latest sign-in
	pending map[uint64]*pendingRequest // guarded by mu
	state   tracker                    // guarded by mu
	ended   bool                       // guarded by mu: the client stopped; no new requests
	ice     []proto.ICEServer          // guarded by mu: the latest from startRtc; nil: the login's
	err     error                      // guarded by mu: why the client ended
}

type pendingRequest struct {
	reply chan proto.Envelope
	// onOK runs on the reader goroutine with mu held, before any later
	// message is handled, so state follows the server's order exactly.
	onOK func(result json.RawMessage)
}

// Dial connects and signs in.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg.setDefaults()
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, log: cfg.Logger.With("account", cfg.Account), events: fifo.New[Event](),
		ctx: cctx, cancel: cancel, readerDone: make(chan struct{}), pending: map[uint64]*pendingRequest{}}
	ws, res, err := c.connect(ctx, cfg.DeviceID)
	if err != nil {
		cancel()
		c.events.Stop()
		return nil, err
	}
	c.ws, c.login = ws, res
	if res.ActiveCall != nil {
		c.state.resume(res.ActiveCall, cfg.Account)
	}
	go c.run(ws)
	c.log.Info("signed in", "server", cfg.ServerURL, "device", res.DeviceID)
	return c, nil
}

// Events returns the channel of events; see Client.
func (c *Client) Events() <-chan Event { return c.events.C() }

// Login returns what the server said at the latest sign-in (ICE servers, device ID).
func (c *Client) Login() proto.LoginResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.login
}

// ICEServers are the STUN/TURN servers for the next peer connection: those
// of the latest startRtc reply that carried any (fresh TURN credentials for
// the call), else the login's.
func (c *Client) ICEServers() []proto.ICEServer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ice != nil {
		return c.ice
	}
	return c.login.ICEServers
}

// Account is the signed-in account.
func (c *Client) Account() string { return c.cfg.Account }

// Current describes the current call; Phase is PhaseIdle when there is none.
func (c *Client) Current() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.snapshot()
}

// Connected reports whether the signaling connection is up (false while reconnecting).
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws != nil
}

// Done is closed once the client has ended.
func (c *Client) Done() <-chan struct{} { return c.readerDone }

// Err says why the client ended; nil while it is up or after Close. It
// matches ErrReplaced (errors.Is) when a newer connection of the same
// device took over.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close signs out and releases everything. Undelivered events are dropped.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		c.mu.Lock()
		ws := c.ws
		c.mu.Unlock()
		if ws != nil {
			ws.CloseNow()
		}
		<-c.readerDone
		c.bg.Wait()
		c.mu.Lock()
		c.state.stopTimer()
		c.mu.Unlock()
		c.events.Stop()
	})
	return nil
}

// run reads the connection and, when it is lost, reconnects (if asked to)
// and reads the new one, until the client ends.
func (c *Client) run(ws *websocket.Conn) {
	defer close(c.readerDone)
	var err error
	for {
		err = c.serve(ws)
		if c.ctx.Err() != nil {
			err = nil // closed by us
			break
		}
		if websocket.CloseStatus(err) == proto.CloseReplaced {
			// Final: reconnecting would take the device back from the
			// connection that replaced this one, which would do the same.
			err = fmt.Errorf("signaling connection to %s: %w", c.cfg.ServerURL, ErrReplaced)
			c.connectionLost(ws, err)
			break
		}
		c.connectionLost(ws, err)
		if !c.cfg.Reconnect {
			break
		}
		if ws, err = c.reconnect(err); ws == nil {
			break
		}
	}
	c.mu.Lock()
	c.ended, c.err, c.ws = true, err, nil
	c.mu.Unlock()
	if err != nil {
		c.log.Warn("signaling connection ended", "err", err)
		if !errors.Is(err, ErrReplaced) {
			err = fmt.Errorf("signaling connection lost: %w", err)
		}
		c.events.Push(&Disconnected{Err: err})
	}
	c.events.Finish()
}

// serve reads one connection until it fails, pinging it meanwhile so a
// silently dead network is noticed.
func (c *Client) serve(ws *websocket.Conn) error {
	stopPing := c.keepAlive(ws)
	defer stopPing()
	for {
		_, msg, err := ws.Read(c.ctx)
		if err != nil {
			return err
		}
		if err := c.handle(msg); err != nil {
			c.log.Warn("bad message from server", "err", err)
		}
	}
}

// connectionLost fails the requests waiting on a dead connection.
func (c *Client) connectionLost(ws *websocket.Conn, err error) {
	ws.CloseNow()
	c.mu.Lock()
	c.ws = nil
	for id, p := range c.pending {
		delete(c.pending, id)
		close(p.reply)
	}
	c.mu.Unlock()
	c.log.Warn("signaling connection lost", "err", err)
}

func (c *Client) handle(msg []byte) error {
	var env proto.Envelope
	if err := json.Unmarshal(msg, &env); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if env.Type == proto.TypeReply {
		c.mu.Lock()
		p := c.pending[env.ID]
		delete(c.pending, env.ID)
		if p != nil && env.Error == nil && p.onOK != nil {
			p.onOK(env.Result)
		}
		c.mu.Unlock()
		if p == nil {
			if env.Error != nil {
				return fmt.Errorf("server error for request %d: %w", env.ID, env.Error)
			}
			return nil // the caller stopped waiting
		}
		p.reply <- env
		return nil
	}
	ev, err := proto.DecodeEvent(env)
	if err != nil {
		return err
	}
	c.mu.Lock()
	deliver := c.state.apply(ev)
	c.mu.Unlock()
	if deliver {
		c.events.Push(ev)
	} else {
		c.log.Debug("dropped event of another call", "type", env.Type)
	}
	return nil
}

// request sends one request and waits for its reply, decoding the result
// into result (if non-nil). ctx bounds the wait; the request itself cannot
// be withdrawn once sent.
func (c *Client) request(ctx context.Context, typ string, data any, result any, onOK func(json.RawMessage)) error {
	id := c.nextID.Add(1)
	env, err := proto.NewRequest(typ, id, data)
	if err != nil {
		return err
	}
	msg, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	p := &pendingRequest{reply: make(chan proto.Envelope, 1), onOK: onOK}
	c.mu.Lock()
	ws := c.ws
	switch {
	case c.ended && c.err != nil:
		why := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: %w: %w", typ, ErrClosed, why)
	case c.ended:
		c.mu.Unlock()
		return ErrClosed
	case ws == nil:
		c.mu.Unlock()
		return ErrReconnecting
	}
	c.pending[id] = p
	c.mu.Unlock()

	// The write uses the client's context: coder/websocket closes the
	// connection when a write's context ends, and a caller's short deadline
	// must not kill the connection.
	wctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
	err = ws.Write(wctx, websocket.MessageText, msg)
	cancel()
	if err != nil {
		c.forget(id)
		return fmt.Errorf("send %s: %w", typ, c.closedErr(err))
	}
	select {
	case rep, ok := <-p.reply:
		if !ok {
			return fmt.Errorf("%s: %w", typ, c.closedErr(ErrClosed))
		}
		if rep.Error != nil {
			return rep.Error
		}
		if result != nil {
			if err := json.Unmarshal(rep.Result, result); err != nil {
				return fmt.Errorf("decode %s result: %w", typ, err)
			}
		}
		return nil
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

func (c *Client) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// closedErr explains a failed request: the client ended, or the connection
// dropped under it (and may be coming back).
func (c *Client) closedErr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.err != nil:
		return fmt.Errorf("%w: %w", ErrClosed, c.err)
	case c.ctx.Err() != nil:
		return ErrClosed
	case !c.ended && c.cfg.Reconnect:
		return ErrReconnecting
	}
	return err
}
