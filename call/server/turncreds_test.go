package server

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

var usernameCases = []struct {
	in      string
	expiry  int64
	account string
	ok      bool
}{
	{"1767261600:alice", 1767261600, "alice", true},
	{"0:bob.smith@example.org", 0, "bob.smith@example.org", true},
	{"9223372036854775807:a", 9223372036854775807, "a", true},
	{"9223372036854775808:a", 0, "", false}, // overflows int64
	{"alice", 0, "", false},
	{":alice", 0, "", false},
	{"1767261600:", 0, "", false},
	{"1767261600:al:ice", 0, "", false}, // accounts hold no colon
	{"-5:alice", 0, "", false},
	{"+5:alice", 0, "", false},
	{" 5:alice", 0, "", false},
	{"0x10:alice", 0, "", false},
	{"01767261600:alice", 0, "", false}, // not as issued
	{"00:0", 0, "", false},
	{"17672616001767261600:alice", 0, "", false},
	{"1767261600:alice bob", 0, "", false},
	{"1767261600:\xff", 0, "", false},
	{"", 0, "", false},
}

func TestParseTURNUsername(t *testing.T) {
	for _, c := range usernameCases {
		expiry, account, err := parseTURNUsername(c.in)
		if (err == nil) != c.ok {
			t.Errorf("parse %q: err %v, want ok=%t", c.in, err, c.ok)
			continue
		}
		if c.ok && (expiry != c.expiry || account != c.account) {
			t.Errorf("parse %q = %d, %q; want %d, %q", c.in, expiry, account, c.expiry, c.account)
		}
	}
}

// FuzzParseTURNUsername: usernames come from any TURN client on the
// network. A parse that succeeds must round-trip.
func FuzzParseTURNUsername(f *testing.F) {
	for _, c := range usernameCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		expiry, account, err := parseTURNUsername(s)
		if err != nil {
			return
		}
		if back := strconv.FormatInt(expiry, 10) + ":" + account; back != s {
			t.Fatalf("%q parsed as %d, %q, which formats as %q", s, expiry, account, back)
		}
		c := turnCreds{secret: []byte("0123456789abcdef"), ttl: time.Hour}
		if _, _, err := c.check(s, time.Unix(expiry-1, 0)); err != nil {
			t.Fatalf("check %q before its expiry: %v", s, err)
		}
	})
}

func TestTURNCredsCheck(t *testing.T) {
	now := time.Unix(1767261600, 0)
	c := turnCreds{secret: []byte("0123456789abcdef0123456789abcdef"), ttl: 2 * time.Hour}
	user, pass := c.issue("alice", now)
	if user != "1767268800:alice" {
		t.Fatalf("username %q, want expiry two hours on and the account", user)
	}
	account, want, err := c.check(user, now.Add(2*time.Hour-time.Second))
	if err != nil || account != "alice" || want != pass {
		t.Fatalf("check just before expiry: %q %q %v; want alice %q", account, want, err, pass)
	}
	if _, _, err := c.check(user, now.Add(2*time.Hour)); !errors.Is(err, errTURNExpired) {
		t.Fatalf("check at expiry: %v, want expired", err)
	}
	// Another account's name gets another password: a credential cannot
	// be moved to another account.
	_, other, err := c.check("1767268800:bob", now)
	if err != nil || other == pass {
		t.Fatalf("bob's password %q (err %v) equals alice's", other, err)
	}
	// Another secret (another server) gives another password.
	c2 := turnCreds{secret: []byte("fedcba9876543210fedcba9876543210"), ttl: 2 * time.Hour}
	if _, p2 := c2.issue("alice", now); p2 == pass {
		t.Fatal("two secrets sign alike")
	}
}
