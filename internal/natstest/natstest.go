// Package natstest runs a NATS server with JetStream inside the test
// process, on a free loopback port, with its store in a temporary directory.
package natstest

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

const readyTimeout = 10 * time.Second

// Server is one embedded NATS server. Its methods must be called from the
// test's goroutine.
type Server struct {
	tb   testing.TB
	opts server.Options
	srv  *server.Server
}

// Start starts a server; it is shut down when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return startWith(tb, server.Options{})
}

// startWith starts a server with JetStream on a free loopback port, and a
// store of its own, with opts' other settings; it is shut down when the
// test ends.
func startWith(tb testing.TB, opts server.Options) *Server {
	tb.Helper()
	dir, err := os.MkdirTemp("", "duet-nats-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir, opts.NoLog, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, dir, true, true
	s := &Server{tb: tb, opts: opts}
	s.start()
	tb.Cleanup(s.Shutdown)
	return s
}

func (s *Server) start() {
	s.tb.Helper()
	srv, err := server.NewServer(&s.opts)
	if err != nil {
		s.tb.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(readyTimeout) {
		srv.Shutdown()
		s.tb.Fatalf("NATS did not start within %v", readyTimeout)
	}
	s.srv = srv
	s.opts.Port = srv.Addr().(*net.TCPAddr).Port // a restart comes back where clients look
}

// URL is the address clients connect to.
func (s *Server) URL() string { return s.srv.ClientURL() }

// Shutdown stops the server, as a crash of its machine would for its clients.
func (s *Server) Shutdown() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart starts a stopped server again on the same port and store.
func (s *Server) Restart() { s.start() }
