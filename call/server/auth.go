package server

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"duet/call/proto"
)

// Why a token check failed.
var (
	errNoTokens  = errors.New("account has no tokens")
	errBadToken  = errors.New("wrong token")
	errRevoked   = errors.New("token revoked")
	errHashBusy  = errors.New("too many sign-ins being checked")
	errHashCheck = errors.New("cannot check token")
)

// tokenChecker verifies sign-in tokens against the store. argon2id needs
// its memory for every check, so at most cap(sem) run at once and the rest
// wait: a sign-in flood costs time, not memory. Safe for concurrent use.
type tokenChecker struct {
	store *store
	cache *tokenCache
	sem   chan struct{}

	// hashing and peak count argon2id computations under way, for tests.
	hashing, peak atomic.Int32
}

func newTokenChecker(st *store, concurrency int) *tokenChecker {
	return &tokenChecker{store: st, cache: newTokenCache(4096, time.Hour), sem: make(chan struct{}, concurrency)}
}

// check returns the id of account's token that token is, or why not:
// errNoTokens when the account has none (open servers let it in),
// errBadToken, errRevoked, errHashBusy, or a store error.
func (c *tokenChecker) check(ctx context.Context, account, token string) (int64, error) {
	id, secret, ok := parseToken(token)
	var row tokenRow
	err := errNoToken
	switch {
	case ok && id != 0:
		row, err = c.store.token(ctx, account, id)
	case ok:
		row, err = c.store.bareToken(ctx, account)
	}
	if errors.Is(err, errNoToken) {
		has, err := c.store.hasTokens(ctx, account)
		if err != nil {
			return 0, err
		}
		if !has {
			return 0, errNoTokens
		}
		return 0, errBadToken
	}
	if err != nil {
		return 0, err
	}

	key := tokenKey(account, token)
	if !c.cache.hit(key, row.id, row.hash) {
		h, err := parseHash(row.hash)
		if err != nil {
			return 0, fmt.Errorf("%w %d: %w", errHashCheck, row.id, err)
		}
		match, err := c.verify(ctx, h, secret)
		if err != nil {
			return 0, err
		}
		if !match {
			return 0, errBadToken
		}
		if h.legacy {
			// Verified once the old way: store it the new way.
			if row.hash, err = c.rehash(ctx, row, secret); err != nil {
				return 0, err
			}
		}
		c.cache.add(key, row.id, row.hash)
	}
	// Checked after the secret, so only the token's holder learns it was revoked.
	if row.revokedAt != 0 {
		return 0, errRevoked
	}
	return row.id, nil
}

func (c *tokenChecker) verify(ctx context.Context, h tokenHash, secret string) (bool, error) {
	if h.legacy {
		return h.matches(secret), nil // one SHA-256: no need to queue
	}
	var match bool
	err := c.hashSlot(ctx, func() { match = h.matches(secret) })
	return match, err
}

// rehash replaces a legacy hash with an argon2id one and returns it.
func (c *tokenChecker) rehash(ctx context.Context, row tokenRow, secret string) (string, error) {
	var hash string
	if err := c.hashSlot(ctx, func() { hash = hashSecret(secret) }); err != nil {
		return "", err
	}
	if err := c.store.upgradeHash(ctx, row.id, row.hash, hash); err != nil {
		return "", err
	}
	return hash, nil
}

// hashSlot runs f, an argon2id computation, once one of the slots is free.
func (c *tokenChecker) hashSlot(ctx context.Context, f func()) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", errHashBusy, ctx.Err())
	}
	defer func() { <-c.sem }()
	n := c.hashing.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	f()
	c.hashing.Add(-1)
	return nil
}

// authenticate checks a sign-in. When open (an open server, on a listener
// that does not require tokens) a name without tokens is accepted and
// registered so others can find and call it; a name with tokens always
// needs one of them.
func (s *Server) authenticate(ctx context.Context, account, token string, open bool) error {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	id, err := s.tokens.check(ctx, account, token)
	switch {
	case errors.Is(err, errNoTokens) && open:
		if err := s.store.ensureAccount(ctx, account, time.Now().UnixMilli()); err != nil {
			s.log.Error("register account", "account", account, "err", err)
			return proto.Errorf(proto.CodeUnavailable, "cannot register %q now; try again", account)
		}
		return nil
	case errors.Is(err, errNoTokens), errors.Is(err, errBadToken):
		return proto.Errorf(proto.CodeUnauthorized, "wrong account or token")
	case errors.Is(err, errRevoked):
		return proto.Errorf(proto.CodeUnauthorized, "this token was revoked; ask the server's operator for a new one")
	case errors.Is(err, errHashBusy):
		return proto.Errorf(proto.CodeUnavailable, "the server is busy with other sign-ins; try again in a moment")
	case err != nil:
		s.log.Error("authenticate", "account", account, "err", err)
		return proto.Errorf(proto.CodeUnavailable, "cannot check sign-in now; try again")
	}
	if !s.bindToken(ctx, id) {
		return proto.Errorf(proto.CodeUnauthorized, "this token was revoked; ask the server's operator for a new one")
	}
	return nil
}

// ErrSignsInWithoutToken is returned by Server.AddAccount for an account
// that already signs in without a token on this open server: giving it one
// would lock its devices out.
var ErrSignsInWithoutToken = errors.New("this account already signs in without a token")

// AddAccount gives an account a token through the server's open database,
// creating the account if needed, and returns the token. It replaces the
// tokens the account had (their sessions are cut at the next revocation
// check): inviting someone again hands out a new invitation, not a second
// one. Accounts that sign in without a token on an open server are refused
// with ErrSignsInWithoutToken.
func (s *Server) AddAccount(ctx context.Context, name string) (string, error) {
	if err := proto.ValidateAccount("account", name); err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	exists, err := s.store.accountExists(ctx, name)
	if err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	has, err := s.store.hasTokens(ctx, name)
	if err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	if exists && !has && s.cfg.Open {
		return "", fmt.Errorf("add account %s: %w", name, ErrSignsInWithoutToken)
	}
	accounts := &Accounts{store: s.store}
	if has {
		if _, err := accounts.Revoke(ctx, name, 0); err != nil && !errors.Is(err, ErrNoSuchToken) {
			return "", fmt.Errorf("add account: %w", err)
		}
	}
	token, _, err := accounts.AddToken(ctx, name, "invitation")
	if err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	return token, nil
}
