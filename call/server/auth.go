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

// authenticate checks a sign-in. On an open server any name is accepted and
// registered so others can find and call it.
func (s *Server) authenticate(ctx context.Context, account, token string) error {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	hash, err := s.store.accountHash(ctx, account)
	switch {
	case errors.Is(err, errNoAccount) && s.cfg.Open:
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
	if s.cfg.Open && hash == nil {
		return nil
	}
	if hash == nil || subtle.ConstantTimeCompare(hash, hashToken(token)) != 1 {
		return proto.Errorf(proto.CodeUnauthorized, "wrong account or token")
	}
	return nil
}
