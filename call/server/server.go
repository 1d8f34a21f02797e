// Package server is Duet's signaling server: accounts, presence, the netcall
// call flow, call rooms, the relay of peer-connection messages and the call
// records. It is the single authority on call state.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
	"duet/call/server/web"
)

// Config holds everything the server needs; zero durations take the defaults.
type Config struct {
	// DB is the database of accounts, tokens and call records: a SQLite
	// file (PATH or sqlite:PATH) or a PostgreSQL URL (postgres://…), which
	// several servers may share.
	DB string
	// Open lets any account name sign in with any token (LAN, development).
	Open bool
	// RingTimeout ends an unanswered call on the server's side; it is longer
	// than the caller's own no-answer timeout, which normally ends it first.
	RingTimeout time.Duration
	// CallerGrace is how long a ringing call survives its caller's lost connection.
	CallerGrace time.Duration
	// ReconnectGrace is how long an answered call survives a party's lost
	// signaling connection; media is peer to peer and may well continue.
	ReconnectGrace time.Duration
	// PingInterval is how often idle connections are checked for life.
	PingInterval time.Duration
	// WriteTimeout bounds one write to a client.
	WriteTimeout time.Duration
	// SendQueue is how many messages may wait for a slow client before it is dropped.
	SendQueue int
	// ICEServers are handed to clients at sign-in.
	ICEServers []proto.ICEServer
	// RecordRetry is the pause before retrying a failed call record write.
	RecordRetry time.Duration
	// TURN, when set, runs an embedded TURN server and hands each signed-in
	// device short-lived credentials for it, at sign-in and in startRtc.
	TURN *TURNConfig
	// Cluster, when set, joins the server to others through NATS
	// (docs/cluster.md); nil: a server on its own.
	Cluster *ClusterConfig
	// RecordBacklog bounds the call records kept in memory while the
	// database cannot take them. At the bound no new call is placed (call
	// fails with unavailable) until records are written again; calls
	// already under way still end and queue their record, so none is lost.
	RecordBacklog int
	// DBBusyTimeout is how long a database write waits for a lock held by
	// another program before it fails and is retried later.
	DBBusyTimeout time.Duration
	// Limits bound request rates; zero fields take the defaults.
	Limits Limits
	Logger *slog.Logger

	// dbPageLimit, set by tests only, caps the database's size in pages to
	// make writes fail as on a full disk (see export_test.go).
	dbPageLimit func() int64
	// TLSCertFile and TLSKeyFile (PEM), when set, make Serve speak TLS:
	// clients connect to wss://. Without them Serve speaks plain ws://
	// and warns when it listens beyond loopback.
	TLSCertFile, TLSKeyFile string
	// AllowOrigins are host:port patterns (path.Match syntax, e.g.
	// "127.0.0.1:8655" or "*.example.com" — the port is absent from the
	// origin of a page on its scheme's default port — or
	// "https://app.example.com" to match the scheme too) of web pages
	// allowed to connect besides those from the server's own host:port.
	// Clients that send no Origin, i.e. all but browsers, are not checked;
	// a refused page is logged with the pattern that would allow it.
	AllowOrigins []string
	// LoginTimeout closes connections that have not signed in by then.
	LoginTimeout time.Duration
	// MaxPendingPerIP and MaxPending cap the connections that have not
	// signed in yet, per remote IP and overall; more are refused with HTTP
	// 429 and 503.
	MaxPendingPerIP, MaxPending int
	// RevocationPoll is how often the database is read for tokens revoked
	// by another process (duet account revoke); their sessions are then
	// disconnected.
	RevocationPoll time.Duration
	// HashConcurrency bounds the token hashes computed at once, each of
	// which needs 19 MiB (default: the number of CPUs).
	HashConcurrency int
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RingTimeout, 60*time.Second)
	def(&c.CallerGrace, 5*time.Second)
	def(&c.ReconnectGrace, 20*time.Second)
	def(&c.PingInterval, 15*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.RecordRetry, time.Second)
	def(&c.DBBusyTimeout, 5*time.Second)
	def(&c.LoginTimeout, 10*time.Second)
	def(&c.RevocationPoll, 5*time.Second)
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&c.SendQueue, 256)
	defInt(&c.MaxPendingPerIP, 16)
	defInt(&c.MaxPending, 512)
	defInt(&c.HashConcurrency, runtime.NumCPU())
	// About 200 bytes a record: 2 MB, hours of calls on a busy server.
	defInt(&c.RecordBacklog, 10000)
	c.Limits.setDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server serves the signaling protocol on /ws. Its methods are safe for
// concurrent use; the owner must call Close.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    *store
	recorder *recorder
	hub      *hub
	turn     *turnRelay // nil without Config.TURN
	calls    *callLimits
	tokens   *tokenChecker
	pending  *pendingGate
	accept   *websocket.AcceptOptions
	tls      *tls.Config // nil: plain ws://
	metrics  *metrics
	cluster  *cluster // nil on a server on its own
	// refusedOrigins paces the warnings about refused web pages.
	refusedOrigins originLog

	conns sync.WaitGroup // one per websocket handler
	bg    sync.WaitGroup // the revocation watcher

	mu       sync.Mutex
	httpSrv  *http.Server          // guarded by mu: set by Serve
	sessions map[*session]struct{} // guarded by mu: every open connection, signed in or not
	revoked  map[int64]struct{}    // guarded by mu: tokens seen revoked since the start
	closing  chan struct{}
	once     sync.Once

	// listeners are the extra listeners of ServeListener still open; guarded by mu.
	listeners map[*Listener]struct{}
}

// New opens the database and starts the server's goroutines. It does not listen.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if cfg.DB == "" {
		return nil, errors.New("new server: no database (a SQLite path or a postgres:// URL)")
	}
	tlsCfg, err := loadTLS(cfg)
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	accept, err := acceptOptions(cfg.AllowOrigins)
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, closing: make(chan struct{}), sessions: map[*session]struct{}{},
		listeners: map[*Listener]struct{}{}, calls: newCallLimits(cfg.Limits), revoked: map[int64]struct{}{},
		pending: newPendingGate(cfg.MaxPendingPerIP, cfg.MaxPending), accept: accept, tls: tlsCfg}
	s.metrics = newMetrics(s)
	st, err := openStoreWith(cfg.DB, storeOptions{busyTimeout: cfg.DBBusyTimeout, pageLimit: cfg.dbPageLimit,
		observe: s.metrics.observeDB})
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	seq, err := st.lastRevocation(ctx)
	cancel()
	if err != nil {
		st.close()
		return nil, fmt.Errorf("new server: %w", err)
	}
	s.store, s.tokens = st, newTokenChecker(st, cfg.HashConcurrency)
	if cfg.TURN != nil {
		if s.turn, err = newTURN(*cfg.TURN, st, s.log); err != nil {
			st.close()
			return nil, fmt.Errorf("new server: %w", err)
		}
	}
	s.recorder = newRecorder(st, s.log, cfg.RecordRetry, cfg.RecordBacklog)
	if cfg.Cluster != nil {
		if s.cluster, err = joinCluster(context.Background(), *cfg.Cluster, s.log); err != nil {
			if s.turn != nil {
				s.turn.close()
			}
			s.recorder.stop()
			st.close()
			return nil, fmt.Errorf("new server: %w", err)
		}
	}
	s.hub = newHub(s)
	if s.cluster != nil {
		s.metrics.registerCluster(s.cluster)
		s.cluster.onFence = s.fenceSessions
		s.calls.tell = s.cluster.tellLimits
		if s.turn != nil {
			s.turn.quota.tell = s.cluster.tellRelays
		}
		if err := s.cluster.start(s.hub); err != nil {
			s.hub.stop()
			s.recorder.stop()
			s.cluster.close()
			if s.turn != nil {
				s.turn.close()
			}
			st.close()
			return nil, fmt.Errorf("new server: %w", err)
		}
	}
	if err := s.recoverOpenCalls(context.Background()); err != nil {
		s.hub.stop()
		s.recorder.stop()
		if s.turn != nil {
			s.turn.close()
		}
		st.close()
		return nil, fmt.Errorf("new server: %w", err)
	}
	s.bg.Add(1)
	go s.watchRevocations(seq)
	return s, nil
}

// Handler returns the HTTP handler: the websocket endpoint at /ws, and the
// web client for guests at / (see docs/web.md).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/healthz", s.healthz)
	mux.Handle("/", web.Handler())
	return mux
}

// MetricsHandler serves the server's Prometheus metrics (docs/operations.md).
// It is not part of Handler: metrics are for the operator's network only.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler() }

// Serve accepts connections on ln until Close, with TLS when the config
// has a certificate.
func (s *Server) Serve(ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: s.tls, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.mu.Lock()
	s.httpSrv = hs
	s.mu.Unlock()
	var err error
	if s.tls != nil {
		err = hs.ServeTLS(ln, "", "")
	} else {
		if exposedPlain(ln.Addr()) {
			s.log.Warn("serving plain ws:// beyond loopback: tokens and calls cross the network unencrypted; "+
				"serve with --tls-cert and --tls-key (duet cert makes a development pair)", "addr", ln.Addr().String())
		}
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close disconnects every client, writes every queued call record and
// closes the database. Each client gets a close frame with code 1001 and
// reason "server shutting down" (see docs/protocol.md), after the messages
// already queued for it; a client that does not answer the frame within
// shutdownWait is cut off. Ringing calls end as network lost; answered
// calls stay open for their parties to resume when a server starts again
// on the same database (or end as network lost then if they do not).
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		close(s.closing)
		hs := s.httpSrv
		s.mu.Unlock()
		if hs != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			hs.Shutdown(ctx)
			cancel()
		}
		listeners := s.stopListeners()
		s.closeSessions()
		cut := time.AfterFunc(shutdownWait, s.dropSessions)
		s.conns.Wait()
		cut.Stop()
		s.hub.stop()
		if s.cluster != nil {
			s.cluster.close()
		}
		s.recorder.stop()
		s.bg.Wait()
		for _, l := range listeners {
			l.closeRelay()
		}
		if s.turn != nil {
			err = s.turn.close()
		}
		err = errors.Join(err, s.store.close())
	})
	return err
}

// track adds a new connection, or reports false when the server is closing.
func (s *Server) track(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return false
	default:
	}
	if sess.via != nil && sess.via.closed {
		return false
	}
	s.sessions[sess] = struct{}{}
	s.conns.Add(1) // under mu, so never after Close has begun waiting
	if sess.via != nil {
		sess.via.conns.Add(1)
	}
	return true
}

func (s *Server) untrack(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
	if sess.via != nil {
		sess.via.conns.Done()
	}
	s.conns.Done()
}

// shutdownWait bounds how long Close waits for its clients to take their
// close frames: a flush of what is queued, then the close handshake.
const shutdownWait = 3 * time.Second

// closeSessions has every connection closed with 1001 (going away); their
// handlers then post their disconnects to the hub and return.
func (s *Server) closeSessions() {
	for _, sess := range s.openSessions() {
		sess.closeWith(proto.CloseGoingAway, proto.CloseReasonShutdown)
	}
}

// dropSessions cuts the connections still open, close frame or not.
func (s *Server) dropSessions() {
	sessions := s.openSessions()
	if len(sessions) > 0 {
		s.log.Info("cutting off clients that did not take their close frame", "clients", len(sessions), "after", shutdownWait)
	}
	for _, sess := range sessions {
		sess.close()
	}
}

func (s *Server) openSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}
