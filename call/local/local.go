// Package local is Duet's embedded default: a signaling server inside the
// app, bound to loopback, with two built-in contacts that always answer, so
// a first run needs no configuration to make a call. The same server can
// also be hosted for other computers on the LAN (see Host).
package local

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"

	"duet/call/bot"
	"duet/call/server"
)

// The built-in contacts' accounts.
const (
	EchoAccount    = "echo"    // sends your own audio and video back
	TestBotAccount = "testbot" // answers with the synthetic scene and a tone
)

// DisplayName is how a built-in contact is shown; other accounts show as
// themselves.
func DisplayName(account string) string {
	switch account {
	case EchoAccount:
		return "Echo test"
	case TestBotAccount:
		return "Test bot"
	}
	return account
}

// Config says where the embedded server keeps its database.
type Config struct {
	Dir    string
	Logger *slog.Logger
}

// Local is a running embedded server and its built-in contacts. Its
// methods are safe for concurrent use; the owner must call Close.
type Local struct {
	cfg Config
	srv *server.Server
	url string
	log *slog.Logger
	// served is closed when the loopback listener's Serve has returned.
	served chan struct{}

	// lanICE lets the built-in contacts' next calls use the LAN, so that
	// guests can call them too; set while hosting.
	lanICE atomic.Bool

	mu       sync.Mutex
	contacts *contacts        // guarded by mu: the built-in contacts
	hosting  *server.Listener // guarded by mu: the LAN listener, nil when not hosting
	hostURL  string           // guarded by mu
	closed   bool             // guarded by mu
}

// Start serves on a free loopback port and signs the built-in contacts in.
// The server is open: any local name signs in without a token.
func Start(cfg Config) (*Local, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := server.New(server.Config{DB: filepath.Join(cfg.Dir, "local.db"), Open: true,
		// A relay on loopback, so that "Always relay" can be tried with
		// the built-in contacts too.
		TURN:   &server.TURNConfig{Addr: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1), NoTCP: true},
		Logger: cfg.Logger.With("part", "server")})
	if err != nil {
		return nil, fmt.Errorf("start embedded server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("start embedded server: %w", err)
	}
	l := &Local{cfg: cfg, srv: srv, url: "ws://" + ln.Addr().String() + "/ws", log: cfg.Logger,
		served: make(chan struct{})}
	go func() {
		defer close(l.served)
		srv.Serve(ln) // returns at srv.Close
	}()
	l.contacts = l.startContacts()
	return l, nil
}

// URL is the embedded server's websocket endpoint on loopback.
func (l *Local) URL() string { return l.url }

// Close stops hosting, the built-in contacts and the server.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.contacts.stop()
	l.hosting, l.hostURL = nil, ""
	err := l.srv.Close() // closes the LAN listener too
	<-l.served
	return err
}

// contacts are the built-in contacts' goroutines.
type contacts struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startContacts signs the built-in contacts in. Their media stays on
// loopback, which works with no network at all, but for calls placed while
// hosting: those may go over the LAN, so that guests can call them too.
func (l *Local) startContacts() *contacts {
	ctx, cancel := context.WithCancel(context.Background())
	c := &contacts{cancel: cancel}
	for _, b := range []bot.Config{
		{Account: EchoAccount, Echo: true},
		{Account: TestBotAccount, ToneHz: 523.25},
	} {
		b.ServerURL, b.Answer = l.url, bot.AnswerAccept
		b.LoopbackOnlyFunc = func() bool { return !l.lanICE.Load() }
		b.Logger = l.log.With("part", b.Account)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			if err := bot.Run(ctx, b); err != nil {
				b.Logger.Error("built-in contact stopped", "err", err)
			}
		}()
	}
	return c
}

// stop hangs up the contacts' calls and signs them out.
func (c *contacts) stop() {
	c.cancel()
	c.wg.Wait()
}
