package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"duet/call/proto"
)

// TURN credentials follow the TURN REST convention (draft-uberti-behave-turn-rest):
// the username is "<expiry unix seconds>:<account>" and the password is
// base64(HMAC-SHA1(secret, username)). The TURN server recomputes the
// password from the username, so it needs no list of issued credentials,
// and a credential is bound to the account named in it.
//
// Why the lifetime is DefaultTURNCredentialTTL, and why credentials are
// issued twice: TURN clients authenticate every Refresh, CreatePermission
// and ChannelBind of an allocation with the username they allocated with,
// for as long as the call lasts, and a peer connection cannot swap its
// credentials without an ICE restart. A credential that expires mid-call
// therefore costs the call its relay within one allocation lifetime
// (10 minutes). So credentials are issued at sign-in (a device may sign in
// long before it calls, and those may be stale by then) and again in the
// reply to startRtc, which clients apply before gathering candidates: the
// lifetime then counts from the start of the call and covers calls up to
// the TTL, a day by default. A stolen credential is worth no more than
// relayed bandwidth for that account until it expires.

// DefaultTURNCredentialTTL is how long handed-out TURN credentials stay valid.
const DefaultTURNCredentialTTL = 24 * time.Hour

// turnSecretLen is the size of the HMAC key, in bytes (SHA-1's block is 64).
const turnSecretLen = 32

// turnCreds issues and checks TURN credentials. It is immutable, so safe
// for concurrent use.
type turnCreds struct {
	secret []byte
	ttl    time.Duration
}

// Errors of checkUsername; the TURN server refuses the request either way,
// they only say why in the log.
var (
	errTURNUsername = errors.New("not an <expiry>:<account> username")
	errTURNExpired  = errors.New("credential expired")
)

// issue returns a credential for account valid until now+ttl.
func (c turnCreds) issue(account string, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(c.ttl).Unix(), 10) + ":" + account
	return username, c.password(username)
}

func (c turnCreds) password(username string) string {
	mac := hmac.New(sha1.New, c.secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// check validates a username a TURN client presented and returns its
// account and the password that goes with it; the TURN server then proves
// the client knows that password through the request's MESSAGE-INTEGRITY.
func (c turnCreds) check(username string, now time.Time) (account, password string, err error) {
	expiry, account, err := parseTURNUsername(username)
	if err != nil {
		return "", "", err
	}
	if expiry <= now.Unix() {
		return "", "", fmt.Errorf("%w at %s", errTURNExpired, time.Unix(expiry, 0).UTC().Format(time.RFC3339))
	}
	return account, c.password(username), nil
}

// parseTURNUsername splits "<expiry>:<account>". Account names cannot hold
// a colon, so the split is unambiguous; anything else is refused.
func parseTURNUsername(username string) (expiry int64, account string, err error) {
	ts, account, ok := strings.Cut(username, ":")
	if !ok || ts == "" || len(ts) > 19 || (len(ts) > 1 && ts[0] == '0') {
		return 0, "", errTURNUsername // only the canonical form we issue
	}
	for _, r := range ts {
		if r < '0' || r > '9' {
			return 0, "", errTURNUsername
		}
	}
	expiry, err = strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", errTURNUsername
	}
	if proto.ValidateAccount("account", account) != nil {
		return 0, "", errTURNUsername
	}
	return expiry, account, nil
}

// turnSecret returns the server's TURN secret, creating it on first use.
// It is kept in the database, next to the account tokens' hashes, so that
// a restarted server (an upgrade) still accepts the credentials it handed
// out: a call whose relay was lost with the old process can allocate again
// on the new one with the credentials it already has.
func (s *store) turnSecret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, turnSecretLen)
	rand.Read(fresh)
	if err := s.exec(ctx,
		`INSERT INTO secrets(name, value) VALUES('turn', ?) ON CONFLICT(name) DO NOTHING`, fresh); err != nil {
		return nil, fmt.Errorf("store turn secret: %w", err)
	}
	var secret []byte
	err := s.queryRow(ctx, `SELECT value FROM secrets WHERE name = 'turn'`).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(secret) < 16) {
		return nil, errors.New("read turn secret: missing or too short")
	}
	if err != nil {
		return nil, fmt.Errorf("read turn secret: %w", err)
	}
	return secret, nil
}
