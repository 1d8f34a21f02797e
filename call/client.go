package call

import (
	"context"
	"crypto/x509"
	"encoding/json"
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
	// RootCAs are the certificate authorities wss:// servers are checked
	// against; nil means the system's (LoadCA adds a development
	// certificate to them). Ignored when HTTPClient is set.
	RootCAs *x509.CertPool
	// HTTPClient dials the websocket; nil uses the default.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// writeTimeout bounds one websocket write; a connection that cannot take a
// small message in this time is dead.
const writeTimeout = 10 * time.Second

// Client is one signed-in device. All methods are safe for concurrent use.
// Events arrive in server order on the channel from Events, which is closed
// after Close or once the connection is lost (the last event is then a
// *Disconnected). The caller must call Close, and must keep reading Events
// or the undelivered events accumulate in memory.
type Client struct {
	cfg    Config
	log    *slog.Logger
	ws     *websocket.Conn
	login  proto.LoginResult
	nextID atomic.Uint64
	events *fifo.Queue[Event]

	ctx        context.Context // ends when the client closes
	cancel     context.CancelFunc
	readerDone chan struct{}
	closeOnce  sync.Once

	mu      sync.Mutex
	pending map[uint64]*pendingRequest // guarded by mu
	state   tracker                    // guarded by mu
	ended   bool                       // guarded by mu: the reader stopped; no new requests
	err     error                      // guarded by mu: why the connection ended
}

type pendingRequest struct {
	reply chan proto.Envelope
	// onOK runs on the reader goroutine with mu held, before any later
	// message is handled, so state follows the server's order exactly.
	onOK func(result json.RawMessage)
}

// Dial connects and signs in.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.NoAnswerTimeout <= 0 {
		cfg.NoAnswerTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientType == proto.ClientUnknown {
		cfg.ClientType = proto.ClientDesktop
	}
	hc, release := dialClient(cfg)
	ws, resp, err := websocket.Dial(ctx, cfg.ServerURL, &websocket.DialOptions{HTTPClient: hc})
	release()
	if err != nil {
		return nil, dialError(cfg.ServerURL, resp, err)
	}
	ws.SetReadLimit(1 << 20)
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, log: cfg.Logger.With("account", cfg.Account), ws: ws, events: fifo.New[Event](),
		ctx: cctx, cancel: cancel, readerDone: make(chan struct{}), pending: map[uint64]*pendingRequest{}}
	go c.readLoop()

	req := proto.Login{Account: cfg.Account, Token: cfg.Token, ClientType: cfg.ClientType, DeviceID: cfg.DeviceID}
	err = c.request(ctx, proto.TypeLogin, req, &c.login, func(raw json.RawMessage) {
		var res proto.LoginResult
		if json.Unmarshal(raw, &res) == nil && res.ActiveCall != nil {
			c.state.resume(res.ActiveCall, cfg.Account)
		}
	})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("sign in to %s as %s: %w", cfg.ServerURL, cfg.Account, err)
	}
	c.log.Info("signed in", "server", cfg.ServerURL, "device", c.login.DeviceID)
	return c, nil
}

// Events returns the channel of events; see Client.
func (c *Client) Events() <-chan Event { return c.events.C() }

// Login returns what the server said at sign-in (ICE servers, device ID).
func (c *Client) Login() proto.LoginResult { return c.login }

// Account is the signed-in account.
func (c *Client) Account() string { return c.cfg.Account }

// Current describes the current call; Phase is PhaseIdle when there is none.
func (c *Client) Current() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.snapshot()
}

// Done is closed once the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.readerDone }

// Err says why the connection ended; nil while it is up or after Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close signs out and releases everything. Undelivered events are dropped.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		c.ws.CloseNow()
		<-c.readerDone
		c.mu.Lock()
		c.state.stopTimer()
		c.mu.Unlock()
		c.events.Stop()
	})
	return nil
}

func (c *Client) readLoop() {
	defer close(c.readerDone)
	var err error
	for {
		var msg []byte
		_, msg, err = c.ws.Read(c.ctx)
		if err != nil {
			break
		}
		if err = c.handle(msg); err != nil {
			c.log.Warn("bad message from server", "err", err)
		}
	}
	if c.ctx.Err() != nil {
		err = nil // closed by us
	}
	c.mu.Lock()
	c.ended, c.err = true, err
	for id, p := range c.pending {
		delete(c.pending, id)
		close(p.reply)
	}
	c.mu.Unlock()
	if err != nil {
		c.log.Warn("signaling connection lost", "err", err)
		c.events.Push(&Disconnected{Err: fmt.Errorf("signaling connection lost: %w", err)})
	}
	c.events.Finish()
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
	if c.ended {
		c.mu.Unlock()
		return ErrClosed
	}
	c.pending[id] = p
	c.mu.Unlock()

	// The write uses the client's context: coder/websocket closes the
	// connection when a write's context ends, and a caller's short deadline
	// must not kill the connection.
	wctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
	err = c.ws.Write(wctx, websocket.MessageText, msg)
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

func (c *Client) closedErr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return fmt.Errorf("%w: %v", ErrClosed, c.err)
	}
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	return err
}
