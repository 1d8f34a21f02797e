// Package local is Duet's embedded default: a signaling server inside the
// app, bound to loopback, with two built-in contacts that always answer, so
// a first run needs no configuration to make a call.
package local

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"

	"duet/call/bot"
	"duet/call/server"
)

// The built-in contacts' accounts.
const (
	EchoAccount    = "echo"    // sends your own audio and video back
	TestBotAccount = "testbot" // answers with a synthetic test pattern and tone
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

// Local is a running embedded server and its built-in contacts. The owner
// must call Close.
type Local struct {
	srv    *server.Server
	url    string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start serves on a free loopback port and signs the built-in contacts in.
// The server is open: any local name signs in without a token.
func Start(cfg Config) (*Local, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := server.New(server.Config{DBPath: filepath.Join(cfg.Dir, "local.db"), Open: true,
		Logger: cfg.Logger.With("part", "server")})
	if err != nil {
		return nil, fmt.Errorf("start embedded server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("start embedded server: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Local{srv: srv, url: "ws://" + ln.Addr().String() + "/ws", cancel: cancel}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		srv.Serve(ln)
	}()
	for _, b := range []bot.Config{
		{Account: EchoAccount, Echo: true},
		{Account: TestBotAccount, ToneHz: 523.25},
	} {
		b.ServerURL, b.Answer, b.LoopbackOnly = l.url, bot.AnswerAccept, true
		b.Logger = cfg.Logger.With("part", b.Account)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			if err := bot.Run(ctx, b); err != nil {
				b.Logger.Error("built-in contact stopped", "err", err)
			}
		}()
	}
	return l, nil
}

// URL is the embedded server's websocket endpoint.
func (l *Local) URL() string { return l.url }

// Close stops the built-in contacts and the server.
func (l *Local) Close() error {
	l.cancel()
	err := l.srv.Close()
	l.wg.Wait()
	return err
}
