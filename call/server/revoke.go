package server

import (
	"context"
	"time"

	"duet/call/proto"
)

// Revocations are written by `duet account revoke`, another process on the
// same database, so the server polls for them: each revocation carries a
// sequence number, and the server reads those above the last it saw.

// watchRevocations polls until the server closes, starting after seq.
func (s *Server) watchRevocations(seq int64) {
	defer s.bg.Done()
	t := time.NewTicker(s.cfg.RevocationPoll)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		ids, next, err := s.store.revokedSince(ctx, seq)
		cancel()
		if err != nil {
			s.log.Warn("check for revoked tokens", "err", err)
			continue
		}
		seq = next
		if len(ids) > 0 {
			s.revoke(ids)
		}
	}
}

// revoke disconnects the sessions signed in with the tokens ids and keeps
// them from binding to a session later.
func (s *Server) revoke(ids map[int64]string) {
	s.tokens.cache.forget(ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, account := range ids {
		s.revoked[id] = struct{}{}
		s.log.Info("token revoked", "account", account, "token", id)
	}
	for sess := range s.sessions {
		if _, ok := ids[sess.tokenID]; ok && sess.tokenID != 0 {
			sess.logger().Info("disconnecting: its token was revoked", "token", sess.tokenID)
			sess.closeWith(proto.ClosePolicyViolation, proto.CloseReasonRevoked)
		}
	}
}

// bindToken records on the session whose context ctx is that it signs in
// with token id, unless id was revoked meanwhile. The dispatcher hands
// authenticate the session's context, which is how the session is found.
// Binding and revoke both hold mu, so a revocation either sees the session
// or is seen here.
func (s *Server) bindToken(ctx context.Context, id int64) bool {
	sess, _ := ctx.Value(sessionKey{}).(*session)
	if sess == nil || id == 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.revoked[id]; ok {
		return false
	}
	sess.tokenID = id
	return true
}

// sessionKey finds a session from its context.
type sessionKey struct{}
