package server

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// twoNodesLimits are the call limits of two nodes, the first telling the
// second what it charges as the cluster would.
func twoNodesLimits(l Limits) (a, b *callLimits, now time.Time) {
	a, b = newCallLimits(l), newCallLimits(l)
	now = time.Unix(1_000_000, 0)
	a.tell = func(n limitNews) { b.heard([]limitNews{n}, now) }
	return a, b, now
}

// TestLimitNewsChargesTheOtherNode: calls placed and rung on one node are
// spent on the other, and an answered call's are given back there too.
func TestLimitNewsChargesTheOtherNode(t *testing.T) {
	a, b, now := twoNodesLimits(Limits{Calls: Rate{Burst: 2, Every: time.Hour}, Rings: Rate{Burst: 1, Every: time.Hour}})
	for range 2 {
		if ok, _ := a.placing("alice", now); !ok {
			t.Fatal("alice's first calls refused on her node")
		}
	}
	if ok, _ := b.placing("alice", now); ok {
		t.Error("the other node let alice place a third call")
	}
	if ok, _ := a.ringing("bob", now); !ok {
		t.Fatal("bob's first ring refused")
	}
	if ok, _ := b.ringing("bob", now); ok {
		t.Error("the other node rang bob past his limit")
	}
	a.answered("alice", "bob", now)
	if ok, _ := b.ringing("bob", now); !ok {
		t.Error("an answered call's ring was not given back on the other node")
	}
	if ok, _ := b.placing("alice", now); !ok {
		t.Error("an answered call was not given back to alice on the other node")
	}
}

// TestNoNewsWithoutLimits: unlimited rates charge nothing and tell
// nothing.
func TestNoNewsWithoutLimits(t *testing.T) {
	l := newCallLimits(Limits{Off: true, Calls: Rate{Every: -1}, Rings: Rate{Every: -1}})
	var told []limitNews
	l.tell = func(n limitNews) { told = append(told, n) }
	l.placing("alice", time.Now())
	l.ringing("bob", time.Now())
	l.answered("alice", "bob", time.Now())
	if len(told) != 0 {
		t.Errorf("told %v", told)
	}
}

// TestSpendTakesWhatIsLeft: news of a call spends a whole token where
// there is one, and what is left of one where there is less, never below
// nothing.
func TestSpendTakesWhatIsLeft(t *testing.T) {
	r := Rate{Burst: 2, Every: time.Second}
	now := time.Unix(1_000_000, 0)
	var bm bucketMap
	bm.spend("alice", r, now)
	if got := bm.m["alice"].tokens; got != 1 {
		t.Errorf("a full bucket of 2 after one spend: %v, want 1", got)
	}
	bm.take("alice", r, now)
	now = now.Add(500 * time.Millisecond) // half a token back
	bm.spend("alice", r, now)
	bm.spend("alice", r, now)
	if got := bm.m["alice"].tokens; got != 0 {
		t.Errorf("half a token after two spends: %v, want 0", got)
	}
}

func TestLimitNewsRoundTrip(t *testing.T) {
	news := []limitNews{{kind: newsPlaced, account: "alice"}, {kind: newsRung, account: "bob@example.com"},
		{kind: newsAnswered, account: "alice", callee: "bob@example.com"}, {kind: newsAllRelays},
		{kind: newsRelays, account: "alice", count: 2}, {kind: newsRelays, account: "bob@example.com", count: 0},
		{kind: newsInCall, cid: "5f2c0a9e1b7d4c3a8e6f0b1d", account: "alice"}}
	got, err := parseLimitNews(encodeLimitNews(news))
	if err != nil || !slices.Equal(got, news) {
		t.Errorf("round trip: %v, %v; want %v", got, err, news)
	}
	for _, bad := range []string{"x alice\n", "p\n", "p alice bob\n", "a alice\n", "p al ice extra\n", "p a\x00b\n", "pp alice\n",
		"N alice\n", "n alice\n", "n alice -1\n", "n alice 02\n", "n alice x\n", "n alice 99999999999\n",
		"i alice\n", "i c1 alice bob\n", "i c\x01 alice\n", "i " + strings.Repeat("c", 65) + " alice\n", "i c1 a\x00b\n"} {
		if _, err := parseLimitNews([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseLimitNews(f *testing.F) {
	f.Add([]byte("p alice\nr bob\na alice bob\n"))
	f.Add([]byte("N\nn alice 2\nn bob 0\n"))
	f.Add([]byte("i 5f2c0a9e1b7d4c3a8e6f0b1d alice\ni 5f2c0a9e1b7d4c3a8e6f0b1d bob\n"))
	f.Add([]byte("a alice\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		news, err := parseLimitNews(data)
		if err != nil {
			return
		}
		again, err := parseLimitNews(encodeLimitNews(news))
		if err != nil || !slices.Equal(again, news) {
			t.Fatalf("%q: parsed %v, then %v, %v", data, news, again, err)
		}
	})
}
