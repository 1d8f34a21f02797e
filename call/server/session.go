package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
)

// hardReadLimit closes connections that send absurdly large frames; messages
// between proto.MaxMessageSize and this get a too_large error and the
// connection stays usable.
const hardReadLimit = 1 << 20

// session is one websocket connection. Its reader runs on the HTTP handler's
// goroutine and its writer on one more; the hub owns the identity fields
// once login succeeds.
type session struct {
	srv *Server
	ws  *websocket.Conn
	// via is the extra listener the connection came in on; nil for Serve's.
	via *Listener
	// log gains the account once signed in; the hub sets it while the
	// reader and writer use it, hence atomic.
	log atomic.Pointer[slog.Logger]
	out chan []byte

	ctx    context.Context // ends when the session closes
	cancel context.CancelFunc

	// state is loggedOut, loggingIn or signedIn; the hub sets the identity
	// fields below before it stores signedIn, so the reader may read them
	// once it loads signedIn.
	state      atomic.Int32
	account    string
	deviceID   string
	clientType proto.ClientType

	limits connLimits // owned by the reader
	// tokenID is the token the session signed in with; 0 for none (an
	// open server's tokenless names). Guarded by srv.mu (revoke.go).
	tokenID int64
	// leavePending gives back the session's place among the connections
	// not signed in yet (pending.go); idempotent.
	leavePending func()
	// closeReq asks the writer to close the connection with a status and
	// reason for the client (closeWith); closing is set from then on: the
	// reader drops what the client still sends during the handshake, and
	// send drops what the hub still has for it.
	closeReq chan closeRequest
	closing  atomic.Bool
	// heard decides whether the writer pings (heard.go).
	heard heardClock

	closeOnce sync.Once

	// remote is set on the stand-in, on a call's owner node, for a device
	// signed in on another node (clusterroute.go); nil for a websocket.
	remote *remoteDevice
}

const (
	loggedOut int32 = iota
	loggingIn
	signedIn
)

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) { s.serveWSVia(w, r, nil) }

func (s *Server) serveWSVia(w http.ResponseWriter, r *http.Request, via *Listener) {
	select {
	case <-s.closing:
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	if s.refuseFenced(w) || !s.originAllowed(w, r) {
		return
	}
	leave, ok := s.enterPending(w, r)
	if !ok {
		return
	}
	defer leave()
	ws, err := websocket.Accept(w, r, s.accept)
	if err != nil {
		s.log.Debug("websocket accept failed", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(hardReadLimit)

	ctx, cancel := context.WithCancel(context.Background())
	sess := &session{srv: s, ws: ws, via: via, out: make(chan []byte, s.cfg.SendQueue), cancel: cancel,
		limits: newConnLimits(s.cfg.Limits, time.Now()), leavePending: leave, closeReq: make(chan closeRequest, 1),
		heard: heardClock{born: time.Now()}}
	sess.ctx = context.WithValue(ctx, sessionKey{}, sess)
	sess.log.Store(s.log.With("remote", r.RemoteAddr))
	if !s.track(sess) {
		// Closed between the check above and here: the client is told,
		// as every other one is.
		cancel()
		reason := proto.CloseReasonStopped // its listener closed
		select {
		case <-s.closing:
			reason = proto.CloseReasonShutdown
		default:
		}
		ws.Close(proto.CloseGoingAway, reason)
		return
	}
	defer s.untrack(sess)
	stopDeadline := sess.loginDeadline()
	defer stopDeadline()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		sess.writeLoop()
	}()
	sess.readLoop()
	sess.close()
	<-writerDone
	s.hub.post(func() { s.hub.disconnected(sess) })
}

// readLoop decodes requests until the connection ends. Each request either
// fails here (bad input) or goes to the hub or the recorder.
func (sess *session) readLoop() {
	for {
		typ, r, err := sess.ws.Reader(sess.ctx)
		if err != nil {
			if !isClosed(err) {
				sess.logger().Debug("read failed", "err", err)
			}
			return
		}
		sess.heard.heard()
		msg, err := io.ReadAll(io.LimitReader(r, proto.MaxMessageSize+1))
		if err != nil {
			return
		}
		if typ != websocket.MessageText || len(msg) > proto.MaxMessageSize {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
		}
		// Every message counts against the connection's budget, bad ones too.
		if !sess.admit(typ, msg) {
			if sess.ctx.Err() != nil {
				return
			}
			continue
		}
		if typ != websocket.MessageText {
			sess.replyError(0, proto.Errorf(proto.CodeBadRequest, "send JSON as text frames, not binary"))
			continue
		}
		if len(msg) > proto.MaxMessageSize {
			sess.replyError(0, proto.Errorf(proto.CodeTooLarge, "message over %d bytes", proto.MaxMessageSize))
			continue
		}
		if sess.closing.Load() {
			continue // e.g. a revoked client's request after the close frame
		}
		sess.handle(msg)
	}
}

func isClosed(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) ||
		websocket.CloseStatus(err) != -1 || errors.Is(err, net.ErrClosed)
}

func (sess *session) writeLoop() {
	d := sess.srv.cfg.PingInterval
	ping := time.NewTimer(d)
	defer ping.Stop()
	// pinged is closed when the ping out has its answer or failed; nil
	// before the first. Every return below has closed the session, which
	// ends a ping still waiting.
	var pinged chan struct{}
	defer func() {
		if pinged != nil {
			<-pinged
		}
	}()
	for {
		select {
		case msg := <-sess.out:
			if msg == nil { // closeAfterQueued: everything before it is written
				sess.closeFrame(proto.CloseGoingAway, proto.CloseReasonStopped)
				return
			}
			ctx, cancel := context.WithTimeout(sess.ctx, sess.srv.cfg.WriteTimeout)
			err := sess.ws.Write(ctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				sess.logger().Debug("write failed", "err", err)
				sess.close()
				return
			}
		case req := <-sess.closeReq:
			if req.flush {
				// What was queued before the close goes first: a flooder
				// reads its rate_limited errors before the 1008 that follows.
				sess.flushQueued()
			}
			sess.closeFrame(req.code, req.reason)
			return
		case <-ping.C:
			if quiet := sess.heard.silence(); quiet < d {
				ping.Reset(d - quiet)
				continue
			}
			ping.Reset(d)
			if pinged != nil && !isDone(pinged) {
				continue // its answer or its failure is on the way
			}
			pinged = make(chan struct{})
			go sess.ping(d, pinged)
		case <-sess.ctx.Done():
			return
		}
	}
}

// ping checks that a silent client still answers, and closes one that
// does not within d (4002; the frame tells a client that is alive but
// stalled, and fails at once when the network is gone). Off the writer:
// the messages queued meanwhile do not wait a round trip for the pong.
func (sess *session) ping(d time.Duration, done chan<- struct{}) {
	defer close(done)
	ctx, cancel := context.WithTimeout(sess.ctx, d)
	err := sess.ws.Ping(ctx)
	cancel()
	if err == nil || sess.ctx.Err() != nil {
		return
	}
	sess.logger().Info("closing a connection that did not answer a ping", "after", d, "err", err)
	sess.closeWithout(proto.CloseKeepAlive, "no pong within "+d.String())
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// flushQueued writes the messages queued so far, within one WriteTimeout
// in all: a client that does not read cannot hold up its own close.
func (sess *session) flushQueued() {
	ctx, cancel := context.WithTimeout(sess.ctx, sess.srv.cfg.WriteTimeout)
	defer cancel()
	for range len(sess.out) {
		msg := <-sess.out
		if msg == nil {
			return
		}
		if sess.ws.Write(ctx, websocket.MessageText, msg) != nil {
			return
		}
	}
}

// send queues an encoded message without blocking; a client that lets its
// queue fill is too slow to be in a call and is disconnected. A connection
// that is closing takes nothing more.
func (sess *session) send(msg []byte) {
	if sess.remote != nil {
		sess.srv.cluster.deliver(sess.remote.node, deviceKey{sess.account, sess.deviceID}, msg)
		return
	}
	if sess.closing.Load() {
		return
	}
	select {
	case sess.out <- msg:
		sess.srv.metrics.sent.Inc()
	case <-sess.ctx.Done():
	default:
		n := cap(sess.out)
		sess.logger().Warn("client too slow; disconnecting", "waiting", n)
		// No flush: the client is not reading what is queued.
		sess.closeWithout(proto.CloseTooSlow, fmt.Sprintf("too slow: %d messages waiting", n))
	}
}

func (sess *session) sendEnvelope(env proto.Envelope) {
	b, err := encode(env)
	if err != nil {
		sess.logger().Error("encode message", "type", env.Type, "err", err)
		return
	}
	sess.send(b)
}

func (sess *session) reply(id uint64, result any) {
	env, err := proto.NewResult(id, result)
	if err != nil {
		sess.replyError(id, proto.Errorf(proto.CodeInternal, "encode reply"))
		return
	}
	sess.sendEnvelope(env)
}

func (sess *session) replyError(id uint64, e *proto.Error) {
	sess.srv.metrics.errorReply(e.Code)
	sess.sendEnvelope(proto.NewErrorReply(id, e))
}

// closeRequest is a close the writer is asked to make.
type closeRequest struct {
	code   websocket.StatusCode
	reason string
	flush  bool // write what is queued first
}

// closeWith closes the connection with a close frame telling the client
// why, once the messages queued so far are written. It does not block; the
// writer sends the frame.
func (sess *session) closeWith(code websocket.StatusCode, reason string) {
	sess.requestClose(closeRequest{code: code, reason: reason, flush: true})
}

// closeWithout is closeWith dropping what is still queued.
func (sess *session) closeWithout(code websocket.StatusCode, reason string) {
	sess.requestClose(closeRequest{code: code, reason: reason})
}

func (sess *session) requestClose(req closeRequest) {
	sess.closing.Store(true)
	select {
	case sess.closeReq <- req:
	default: // a close is under way already
	}
}

// closeHandshakeWait bounds the wait for the client's answer to a close
// frame: a client that has gone cannot hold its session, and the calls
// waiting for its device to come back, for long.
const closeHandshakeWait = time.Second

// closeFrame sends a close frame and ends the session once the client
// answers it, or after closeHandshakeWait. Writer goroutine.
func (sess *session) closeFrame(code websocket.StatusCode, reason string) {
	// Ending the session's context also ends the reader's read, which
	// closes the connection under a Close still waiting.
	t := time.AfterFunc(closeHandshakeWait, sess.close)
	defer t.Stop()
	// Close waits for the client's close frame; the reader, still
	// running, may take it and end the session.
	if err := sess.ws.Close(code, reason); err != nil {
		sess.logger().Debug("close handshake", "code", int(code), "err", err)
	}
	sess.close()
}

func (sess *session) close() {
	sess.closeOnce.Do(func() {
		sess.cancel()
		// CloseNow: a graceful close handshake would wait on a peer that
		// may be gone, and the session has nothing left to say.
		sess.ws.CloseNow()
	})
}

// closeAfterQueued closes the connection once the messages queued so far
// are written, with a close frame: the client learns how its calls ended
// before the connection goes.
func (sess *session) closeAfterQueued() {
	select {
	case sess.out <- nil:
	default:
		sess.close()
	}
}

func (sess *session) logger() *slog.Logger { return sess.log.Load() }
