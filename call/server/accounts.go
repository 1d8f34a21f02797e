package server

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"duet/call/proto"
)

// TokenInfo describes a token; the token itself is only ever shown once,
// when it is made.
type TokenInfo struct {
	ID      int64
	Account string
	Label   string
	// Bare marks the token of a database from before accounts had several
	// tokens: it has no id in front.
	Bare    bool
	Created time.Time
	Revoked time.Time // zero while the token is valid
}

// AccountInfo is an account and its tokens, oldest first.
type AccountInfo struct {
	Name    string
	Created time.Time
	Tokens  []TokenInfo
}

// MaxLabelLen bounds a token's label.
const MaxLabelLen = 64

// Accounts manages the accounts and tokens in a server's database, for the
// duet account command. A server running on the same file sees new tokens
// at once and revocations within its Config.RevocationPoll. Safe for
// concurrent use; the owner must call Close.
type Accounts struct {
	store *store
}

// OpenAccounts opens (creating if needed) the database named by source, as Config.DB.
func OpenAccounts(source string) (*Accounts, error) {
	st, err := openStore(source)
	if err != nil {
		return nil, err
	}
	return &Accounts{store: st}, nil
}

// Close closes the database.
func (a *Accounts) Close() error { return a.store.close() }

// AddToken creates account if needed, gives it a new token labelled label
// (the device or person it is for) and returns the token.
func (a *Accounts) AddToken(ctx context.Context, account, label string) (string, TokenInfo, error) {
	if err := proto.ValidateAccount("account", account); err != nil {
		return "", TokenInfo{}, fmt.Errorf("add token: %w", err)
	}
	if err := validateLabel(label); err != nil {
		return "", TokenInfo{}, fmt.Errorf("add token: %w", err)
	}
	secret := newSecret()
	now := time.Now()
	id, err := a.store.insertToken(ctx, account, label, hashSecret(secret), now.UnixMilli())
	if err != nil {
		return "", TokenInfo{}, err
	}
	return formatToken(id, secret), TokenInfo{ID: id, Account: account, Label: label, Created: time.UnixMilli(now.UnixMilli())}, nil
}

// List returns every account, by name, with its tokens.
func (a *Accounts) List(ctx context.Context) ([]AccountInfo, error) {
	return a.store.listAccounts(ctx)
}

// ErrNoSuchToken is returned by Revoke for a token the account does not
// have or that is already revoked.
var ErrNoSuchToken = errors.New("no such token")

// Revoke revokes account's token id, or every valid token of account when
// id is 0, and returns what it revoked. Sessions signed in with them are
// disconnected by the servers using the database within their
// RevocationPoll, and cannot sign in again.
func (a *Accounts) Revoke(ctx context.Context, account string, id int64) ([]TokenInfo, error) {
	revoked, err := a.store.revokeTokens(ctx, account, id, time.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	if len(revoked) == 0 {
		if id != 0 {
			return nil, fmt.Errorf("revoke token %d of %s: %w (or it is revoked already); see duet account list", id, account, ErrNoSuchToken)
		}
		return nil, fmt.Errorf("revoke tokens of %s: %w: it has no valid tokens; see duet account list", account, ErrNoSuchToken)
	}
	return revoked, nil
}

// AddAccount creates an account, or gives an existing one another token,
// and returns the token. Only its hash is stored.
func AddAccount(ctx context.Context, dbPath, name string) (string, error) {
	a, err := OpenAccounts(dbPath)
	if err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	defer a.Close()
	tok, _, err := a.AddToken(ctx, name, "")
	if err != nil {
		return "", fmt.Errorf("add account: %w", err)
	}
	return tok, nil
}

func validateLabel(label string) error {
	if len(label) > MaxLabelLen {
		return fmt.Errorf("label is longer than %d bytes", MaxLabelLen)
	}
	if !utf8.ValidString(label) {
		return errors.New("label is not valid UTF-8")
	}
	for _, r := range label {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("label has the unprintable character %U", r)
		}
	}
	return nil
}
