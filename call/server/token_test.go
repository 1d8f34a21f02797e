package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"duet/call/leaktest"
)

type tokenCase struct {
	tok    string
	id     int64
	secret string
	ok     bool
}

func tokenCases() []tokenCase {
	return []tokenCase{
		{"12.abcDEF-_", 12, "abcDEF-_", true},
		{"1.x", 1, "x", true},
		{"9223372036854775807.s", 9223372036854775807, "s", true},
		{"xiVsv11ejzf2zEM571eLpLnndTsrtCQ7", 0, "xiVsv11ejzf2zEM571eLpLnndTsrtCQ7", true}, // bare, from before ids
		{"", 0, "", false},
		{".", 0, "", false},
		{"1.", 0, "", false},
		{".secret", 0, "", false},
		{"0.secret", 0, "", false},
		{"01.secret", 0, "", false},
		{"-1.secret", 0, "", false},
		{"+1.secret", 0, "", false},
		{"1a.secret", 0, "", false},
		{"9223372036854775808.s", 0, "", false},
		{"1.a.b", 1, "a.b", true}, // parses; no stored secret has a dot, so it never matches
	}
}

func TestParseToken(t *testing.T) {
	for _, tc := range tokenCases() {
		id, secret, ok := parseToken(tc.tok)
		if ok != tc.ok || (ok && (id != tc.id || secret != tc.secret)) {
			t.Errorf("parseToken(%q) = %d, %q, %v; want %d, %q, %v", tc.tok, id, secret, ok, tc.id, tc.secret, tc.ok)
		}
	}
	id, secret, ok := parseToken(formatToken(42, newSecret()))
	if !ok || id != 42 || len(secret) != 32 {
		t.Fatalf("a new token parses as %d %q %v", id, secret, ok)
	}
}

func FuzzParseToken(f *testing.F) {
	for _, tc := range tokenCases() {
		f.Add(tc.tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		id, secret, ok := parseToken(tok)
		if !ok {
			return
		}
		if secret == "" || id < 0 {
			t.Fatalf("parseToken(%q) = %d, %q", tok, id, secret)
		}
		if id > 0 && formatToken(id, secret) != tok {
			t.Fatalf("parseToken(%q) = %d, %q, which formats differently", tok, id, secret)
		}
		if id == 0 && secret != tok {
			t.Fatalf("bare token %q gave secret %q", tok, secret)
		}
	})
}

func hashCases() []struct {
	hash string
	ok   bool
} {
	legacy := sha256.Sum256([]byte("tok"))
	return []struct {
		hash string
		ok   bool
	}{
		{hashSecretWith("s", argonParams{time: 1, memory: 64, threads: 1}), true},
		{legacyHash(legacy[:]), true},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", true},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg$", false},
		{"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false}, // 4 GiB
		{"$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$m=8,t=1,p=2$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false}, // less than 8 KiB a lane
		{"$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$m=64,t=1,p=1$$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$MDEyMzQ1Njc4OWFiY2RlZg", false},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$MDEy", false},
		{"$sha256$00", false},
		{"$sha256$" + strings.Repeat("zz", 32), false},
		{"", false},
		{"plain", false},
	}
}

func TestParseHash(t *testing.T) {
	for _, tc := range hashCases() {
		_, err := parseHash(tc.hash)
		if (err == nil) != tc.ok {
			t.Errorf("parseHash(%q): %v, want ok %v", tc.hash, err, tc.ok)
		}
		if err != nil && !errors.Is(err, errBadHash) {
			t.Errorf("parseHash(%q): %v is not errBadHash", tc.hash, err)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	for _, tc := range hashCases() {
		f.Add(tc.hash)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHash(s)
		if err != nil {
			return
		}
		if !h.legacy && (h.params.memory > maxArgonMemory || h.params.time > maxArgonTime || h.params.threads == 0) {
			t.Fatalf("parseHash(%q) accepted %+v", s, h.params)
		}
	})
}

func TestHashSecret(t *testing.T) {
	h := hashSecret("secret")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("production hash %q", h)
	}
	if h == hashSecret("secret") {
		t.Fatal("two hashes of one secret are alike: no salt")
	}
	p, err := parseHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if !p.matches("secret") || p.matches("secreT") || p.matches("") {
		t.Fatal("matches is wrong")
	}
	d := sha256.Sum256([]byte("old"))
	l, err := parseHash(legacyHash(d[:]))
	if err != nil || !l.legacy || !l.matches("old") || l.matches("new") {
		t.Fatalf("legacy hash: %+v %v", l, err)
	}
}

// checkerEnv is a token checker on a real database with n tokens for
// account "a", made at the production cost.
func checkerEnv(tb testing.TB, concurrency, n int) (*tokenChecker, []string) {
	tb.Helper()
	st, err := openStore(NewTestDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.close() })
	a := &Accounts{store: st}
	var toks []string
	for i := range n {
		tok, _, err := a.AddToken(context.Background(), "a", fmt.Sprint("device ", i))
		if err != nil {
			tb.Fatal(err)
		}
		toks = append(toks, tok)
	}
	return newTokenChecker(st, concurrency), toks
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestHashConcurrencyBound: however many sign-ins arrive at once, no more
// than the bound compute argon2id hashes at a time.
func TestHashConcurrencyBound(t *testing.T) {
	leaktest.Check(t)
	const bound, signIns = 2, 6
	c, toks := checkerEnv(t, bound, signIns)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make([]error, signIns)
	for i, tok := range toks {
		wg.Go(func() { _, errs[i] = c.check(ctx, "a", tok) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
	}
	if p := c.peak.Load(); p < 1 || p > bound {
		t.Fatalf("%d hashes at once, bound %d", p, bound)
	}
	t.Logf("peak %d hashes at once for %d concurrent sign-ins", c.peak.Load(), signIns)
}

// TestHashWaitBounded: a sign-in that cannot get a hashing slot before its
// deadline fails with errHashBusy; a cached token needs no slot.
func TestHashWaitBounded(t *testing.T) {
	c, toks := checkerEnv(t, 1, 2)
	ctx := testCtx(t)
	if _, err := c.check(ctx, "a", toks[0]); err != nil {
		t.Fatal(err)
	}
	c.sem <- struct{}{} // every slot busy
	defer func() { <-c.sem }()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.check(short, "a", toks[1]); !errors.Is(err, errHashBusy) {
		t.Fatalf("cold check with no free slot: %v, want errHashBusy", err)
	}
	if _, err := c.check(ctx, "a", toks[0]); err != nil {
		t.Fatalf("cached check with no free slot: %v", err)
	}
}

func TestTokenCacheFollowsStore(t *testing.T) {
	c, toks := checkerEnv(t, 1, 2)
	ctx := testCtx(t)
	id0, err := c.check(ctx, "a", toks[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.cache.len() != 1 {
		t.Fatalf("cache holds %d entries", c.cache.len())
	}
	if _, err := c.check(ctx, "b", toks[0]); !errors.Is(err, errNoTokens) {
		t.Fatalf("another account with the cached token: %v", err)
	}
	// Revoked in the database: refused at once, cache or not.
	a := &Accounts{store: c.store}
	if _, err := a.Revoke(ctx, "a", id0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.check(ctx, "a", toks[0]); !errors.Is(err, errRevoked) {
		t.Fatalf("revoked token: %v", err)
	}
	c.cache.forget(map[int64]string{id0: "a"})
	if c.cache.len() != 0 {
		t.Fatalf("cache holds %d entries after the revocation", c.cache.len())
	}
}

func TestTokenCacheBounded(t *testing.T) {
	c := newTokenCache(3, time.Hour)
	for i := range 10 {
		c.add(tokenKey("a", fmt.Sprint(i)), int64(i), "h")
	}
	if c.len() != 3 {
		t.Fatalf("cache of 3 holds %d", c.len())
	}
	k := tokenKey("a", "x")
	c.add(k, 1, "h")
	if !c.hit(k, 1, "h") || c.hit(k, 2, "h") {
		t.Fatal("hit is wrong")
	}
	c.add(k, 1, "h")
	if c.hit(k, 1, "other hash") || c.hit(k, 1, "h") {
		t.Fatal("an entry survives a changed hash")
	}
	expiring := newTokenCache(3, -time.Second)
	expiring.add(k, 1, "h")
	if expiring.hit(k, 1, "h") {
		t.Fatal("an expired entry hit")
	}
}

// BenchmarkTokenCheck: one sign-in's token check at the production cost,
// cold (argon2id) and cached (SHA-256 and a database read).
func BenchmarkTokenCheck(b *testing.B) {
	c, toks := checkerEnv(b, 1, 1)
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			c.cache.clear()
			if _, err := c.check(ctx, "a", toks[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		if _, err := c.check(ctx, "a", toks[0]); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := c.check(ctx, "a", toks[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
