package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"duet/call/proto"
)

// AddAccount creates an account, or gives an existing one a new token, and
// returns the token. Only its hash is stored.
func AddAccount(ctx context.Context, dbPath, name string) (string, error) {
	if err := proto.ValidateAccount("account", name); err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	st, err := openStore(dbPath)
	if err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	defer st.close()
	return setNewToken(ctx, st, name)
}

// setNewToken gives name a fresh token and returns it.
func setNewToken(ctx context.Context, st *store, name string) (string, error) {
	raw := make([]byte, 24)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := st.setAccountToken(ctx, name, hashToken(token), time.Now().UnixMilli()); err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	return token, nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// authenticate checks a sign-in. When open (an open server, on a listener
// that does not require tokens) any name is accepted and registered so
// others can find and call it.
func (s *Server) authenticate(ctx context.Context, account, token string, open bool) error {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	hash, err := s.store.accountHash(ctx, account)
	switch {
	case errors.Is(err, errNoAccount) && open:
		if err := s.store.ensureAccount(ctx, account, time.Now().UnixMilli()); err != nil {
			s.log.Error("register account", "account", account, "err", err)
			return proto.Errorf(proto.CodeUnavailable, "cannot register %q now; try again", account)
		}
		return nil
	case errors.Is(err, errNoAccount):
		return proto.Errorf(proto.CodeUnauthorized, "wrong account or token")
	case err != nil:
		s.log.Error("authenticate", "account", account, "err", err)
		return proto.Errorf(proto.CodeUnavailable, "cannot check sign-in now; try again")
	}
	if open && hash == nil {
		return nil
	}
	if hash == nil || subtle.ConstantTimeCompare(hash, hashToken(token)) != 1 {
		return proto.Errorf(proto.CodeUnauthorized, "wrong account or token")
	}
	return nil
}

// ErrSignsInWithoutToken is returned by Server.AddAccount for an account
// that already signs in without a token on this open server: giving it one
// would lock its devices out.
var ErrSignsInWithoutToken = errors.New("this account already signs in without a token")

// AddAccount creates an account with a token, or gives an account it
// created before a new one, through the server's open database, and
// returns the token. Accounts that sign in without a token on an open
// server are refused with ErrSignsInWithoutToken.
func (s *Server) AddAccount(ctx context.Context, name string) (string, error) {
	if err := proto.ValidateAccount("account", name); err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	hash, err := s.store.accountHash(ctx, name)
	switch {
	case errors.Is(err, errNoAccount):
	case err != nil:
		return "", fmt.Errorf("add account: %w", err)
	case hash == nil && s.cfg.Open:
		return "", fmt.Errorf("add account %s: %w", name, ErrSignsInWithoutToken)
	}
	return setNewToken(ctx, s.store, name)
}
