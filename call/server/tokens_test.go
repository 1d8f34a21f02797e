package server_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// openAccounts opens a second handle on the server's database, as duet
// account does from another process.
func openAccounts(t *testing.T, db string) *server.Accounts {
	t.Helper()
	a, err := server.OpenAccounts(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func addToken(t *testing.T, a *server.Accounts, account, label string) (string, server.TokenInfo) {
	t.Helper()
	tok, info, err := a.AddToken(context.Background(), account, label)
	if err != nil {
		t.Fatal(err)
	}
	return tok, info
}

func revoke(t *testing.T, a *server.Accounts, account string, id int64) []server.TokenInfo {
	t.Helper()
	r, err := a.Revoke(context.Background(), account, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// signIn tries a login on a fresh connection and returns its error reply
// (nil on success).
func signIn(t *testing.T, url, account, token string) *proto.Error {
	t.Helper()
	c := dialRaw(t, url)
	id := c.request(proto.TypeLogin, proto.Login{Account: account, Token: token, ClientType: proto.ClientWeb, DeviceID: "probe"})
	rep := c.reply(id)
	c.ws.CloseNow()
	return rep.Error
}

func wantSignIn(t *testing.T, url, account, token string) {
	t.Helper()
	if e := signIn(t, url, account, token); e != nil {
		t.Fatalf("sign in as %s with %q: %v", account, token, e)
	}
}

func wantRefused(t *testing.T, url, account, token, inMessage string) {
	t.Helper()
	e := signIn(t, url, account, token)
	if e == nil || e.Code != proto.CodeUnauthorized || !strings.Contains(e.Message, inMessage) {
		t.Fatalf("sign in as %s with %q: want unauthorized saying %q, got %v", account, token, inMessage, e)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t, nil)
	server.SetTokenHashCost(t, 2, 19*1024) // production cost for erin's tokens
	a := openAccounts(t, e.cfg.DB)
	laptop, li := addToken(t, a, "erin", "laptop")
	phone, pi := addToken(t, a, "erin", "phone")
	if li.ID == pi.ID || laptop == phone {
		t.Fatalf("two tokens alike: %v %v", li, pi)
	}

	wantSignIn(t, e.url, "erin", laptop)
	wantSignIn(t, e.url, "erin", phone)
	wantSignIn(t, e.url, "erin", laptop) // now from the cache

	_, secret, _ := strings.Cut(laptop, ".")
	wrongSecret := laptop[:len(laptop)-1] + "A"
	if wrongSecret == laptop {
		wrongSecret = laptop[:len(laptop)-1] + "B"
	}
	for _, tok := range []string{
		"", "wrong", secret, // the secret without its id
		wrongSecret,       // a wrong secret for the right id
		e.tokens["alice"], // another account's token
		"0." + secret, "-1." + secret, "99999." + secret, "1.", ".", "1..x",
	} {
		wantRefused(t, e.url, "erin", tok, "wrong account or token")
	}
	wantRefused(t, e.url, "alice", laptop, "wrong account or token")
	wantRefused(t, e.url, "nobody", laptop, "wrong account or token")

	got := revoke(t, a, "erin", li.ID)
	if len(got) != 1 || got[0].ID != li.ID || got[0].Label != "laptop" || got[0].Revoked.IsZero() {
		t.Fatalf("revoked %+v", got)
	}
	wantRefused(t, e.url, "erin", laptop, "revoked")
	wantSignIn(t, e.url, "erin", phone)
	if _, err := a.Revoke(context.Background(), "erin", li.ID); !errors.Is(err, server.ErrNoSuchToken) {
		t.Fatalf("revoke a revoked token: %v", err)
	}
	if _, err := a.Revoke(context.Background(), "alice", pi.ID); !errors.Is(err, server.ErrNoSuchToken) {
		t.Fatalf("revoke another account's token: %v", err)
	}

	accounts, err := a.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var erin server.AccountInfo
	for _, acc := range accounts {
		if acc.Name == "erin" {
			erin = acc
		}
	}
	if len(erin.Tokens) != 2 || erin.Tokens[0].Revoked.IsZero() || !erin.Tokens[1].Revoked.IsZero() ||
		erin.Tokens[0].Label != "laptop" || erin.Tokens[1].Label != "phone" {
		t.Fatalf("list: %+v", erin)
	}

	revoke(t, a, "erin", 0)
	wantRefused(t, e.url, "erin", phone, "revoked")
	if _, err := a.Revoke(context.Background(), "erin", 0); !errors.Is(err, server.ErrNoSuchToken) {
		t.Fatalf("revoke all of an account without valid tokens: %v", err)
	}
}

func TestAddTokenChecksInput(t *testing.T) {
	a := openAccounts(t, server.NewTestDB(t))
	for _, tc := range []struct{ account, label string }{
		{"bob smith", ""},
		{"", ""},
		{"bob", strings.Repeat("x", server.MaxLabelLen+1)},
		{"bob", "tab\there"},
		{"bob", "\xff"},
	} {
		if _, _, err := a.AddToken(context.Background(), tc.account, tc.label); err == nil {
			t.Errorf("AddToken(%q, %q) accepted", tc.account, tc.label)
		}
	}
}

// TestOpenServerTokens: an open server lets names without tokens in, but a
// name with tokens always needs one, even once they are all revoked.
func TestOpenServerTokens(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Open = true })
	a := openAccounts(t, e.cfg.DB)
	wantSignIn(t, e.url, "zed", "")
	wantSignIn(t, e.url, "zed", "anything")
	wantRefused(t, e.url, "alice", "", "wrong account or token")
	wantRefused(t, e.url, "alice", "anything", "wrong account or token")
	wantSignIn(t, e.url, "alice", e.tokens["alice"])

	// zed gets a token: from now on zed needs it.
	tok, _ := addToken(t, a, "zed", "")
	wantRefused(t, e.url, "zed", "", "wrong account or token")
	wantSignIn(t, e.url, "zed", tok)
	revoke(t, a, "zed", 0)
	wantRefused(t, e.url, "zed", "", "wrong account or token")
	wantRefused(t, e.url, "zed", tok, "revoked")
}

// TestLegacyTokenUpgrade: a database from before argon2id holds one
// SHA-256 token hash per account. The token keeps working; its first use
// replaces the hash with an argon2id one.
func TestLegacyTokenUpgrade(t *testing.T) {
	server.SkipOnPostgres(t, "databases from before tokens had ids")
	dbPath := filepath.Join(t.TempDir(), "old.db")
	const legacyToken = "xiVsv11ejzf2zEM571eLpLnndTsrtCQ7"
	old, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(legacyToken))
	if _, err := old.Exec(`CREATE TABLE accounts (name TEXT PRIMARY KEY, token_hash BLOB, created_at INTEGER NOT NULL);
		INSERT INTO accounts VALUES ('olga', ?, 1700000000000), ('open', NULL, 1700000000000)`, sum[:]); err != nil {
		t.Fatal(err)
	}
	old.Close()

	e := newEnv(t, func(c *server.Config) { c.DB = dbPath })
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash := func() string {
		var h string
		if err := db.QueryRow(`SELECT hash FROM tokens WHERE account = 'olga'`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := hash(); !strings.HasPrefix(h, "$sha256$") {
		t.Fatalf("migrated hash %q", h)
	}
	wantRefused(t, e.url, "olga", "xiVsv11ejzf2zEM571eLpLnndTsrtCQ8", "wrong account or token")
	if h := hash(); !strings.HasPrefix(h, "$sha256$") {
		t.Fatalf("a wrong token changed the hash to %q", h)
	}
	wantSignIn(t, e.url, "olga", legacyToken)
	upgraded := hash()
	if !strings.HasPrefix(upgraded, "$argon2id$v=19$") {
		t.Fatalf("hash after sign-in: %q, want argon2id", upgraded)
	}

	// A new server, with an empty cache, checks the argon2id hash.
	e.restart()
	wantSignIn(t, e.url, "olga", legacyToken)
	wantRefused(t, e.url, "olga", "xiVsv11ejzf2zEM571eLpLnndTsrtCQ8", "wrong account or token")
	if h := hash(); h != upgraded {
		t.Fatalf("hash changed again: %q", h)
	}

	var old2 sql.NullString
	if err := db.QueryRow(`SELECT token_hash FROM accounts WHERE name = 'olga'`).Scan(&old2); err != nil || old2.Valid {
		t.Fatalf("old column still holds %v (%v)", old2, err)
	}
	a := openAccounts(t, dbPath)
	accounts, err := a.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range accounts {
		if acc.Name == "olga" && (len(acc.Tokens) != 1 || !acc.Tokens[0].Bare) {
			t.Fatalf("olga's tokens: %+v", acc.Tokens)
		}
		if acc.Name == "open" && len(acc.Tokens) != 0 {
			t.Fatalf("open's tokens: %+v", acc.Tokens)
		}
	}
	// The old token can be revoked like any other.
	revoke(t, a, "olga", 0)
	e.restart()
	wantRefused(t, e.url, "olga", legacyToken, "revoked")
}

// TestRevocationCutsLiveSession: revoking a token from another handle on
// the database file (duet account revoke) disconnects the session signed
// in with it, with a close reason, and nothing else.
func TestRevocationCutsLiveSession(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.RevocationPoll = 50 * time.Millisecond })
	a := openAccounts(t, e.cfg.DB)
	laptopTok, laptop := addToken(t, a, "erin", "laptop")
	phoneTok, _ := addToken(t, a, "erin", "phone")
	alice := e.dial("alice", "a1")
	onLaptop := e.dial("erin", "laptop", func(c *call.Config) { c.Token = laptopTok })
	onPhone := e.dial("erin", "phone", func(c *call.Config) { c.Token = phoneTok })

	// A call in progress on the laptop.
	cid := placeCall(t, alice, "erin", proto.CallTypeAudio, onLaptop, onPhone)
	connect(t, alice, onLaptop, cid)

	revoke(t, a, "erin", laptop.ID)
	select {
	case <-onLaptop.Done():
	case <-time.After(testTimeout):
		t.Fatal("the session of the revoked token is still connected")
	}
	err := onLaptop.Err()
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != "token revoked" {
		t.Fatalf("laptop disconnected with %v, want close 1008 \"token revoked\"", err)
	}
	if _, err := onPhone.Contacts(ctx(t)); err != nil {
		t.Fatalf("the other token's session: %v", err)
	}
	if _, err := alice.Contacts(ctx(t)); err != nil {
		t.Fatalf("alice: %v", err)
	}
	_, err = call.Dial(ctx(t), call.Config{ServerURL: e.url, Account: "erin", Token: laptopTok, DeviceID: "laptop"})
	if !errors.Is(err, call.ErrUnauthorized) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("sign in again with the revoked token: %v", err)
	}
	// The call cannot come back to the laptop: it ends.
	if err := alice.Hangup(ctx(t)); err != nil && !errors.Is(err, call.ErrNoCall) {
		t.Fatal(err)
	}
	waitRecord(t, alice, cid)
}

// TestRevokedClientIgnoredWhileClosing: a client whose token is revoked
// and that ignores the server's close frame cannot act during the close
// handshake (its call does not ring); the server then drops the connection.
func TestRevokedClientIgnoredWhileClosing(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.RevocationPoll = 50 * time.Millisecond })
	a := openAccounts(t, e.cfg.DB)
	tok, info := addToken(t, a, "erin", "")
	bob := e.dial("bob", "b1")
	login, err := json.Marshal(proto.Envelope{Type: proto.TypeLogin, ID: 1,
		Data: json.RawMessage(`{"account":"erin","token":"` + tok + `","clientType":"web","deviceId":"tcp"}`)})
	if err != nil {
		t.Fatal(err)
	}
	conn := dialTCP(t, e.addr)
	if _, err := conn.Write(wsFrame(1, login)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(testTimeout))
	if op, payload, err := readFrame(conn.r); err != nil || op != 1 || !strings.Contains(string(payload), `"result"`) {
		t.Fatalf("login reply: %d %s %v", op, payload, err)
	}
	revoke(t, a, "erin", info.ID)
	for {
		op, payload, err := readFrame(conn.r)
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		if op == 8 {
			if len(payload) < 2 || binary.BigEndian.Uint16(payload) != uint16(websocket.StatusPolicyViolation) {
				t.Fatalf("close frame %q", payload)
			}
			break
		}
	}
	// Not answering the close, the client calls bob.
	call, _ := json.Marshal(proto.Envelope{Type: proto.TypeCall, ID: 2, Data: json.RawMessage(`{"type":1,"callee":"bob"}`)})
	if _, err := conn.Write(wsFrame(1, call)); err != nil {
		t.Fatal(err)
	}
	for {
		op, payload, err := readFrame(conn.r)
		if err != nil {
			break // the server gave up on the handshake and hung up
		}
		t.Fatalf("server sent %d %s after closing", op, payload)
	}
	expectQuiet(t, bob, 100*time.Millisecond)
}
