package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"duet/call/proto"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	type step struct {
		at    time.Duration
		op    string // "take", "give" or "full"
		ok    bool   // take: allowed; full: full
		retry time.Duration
	}
	for _, tc := range []struct {
		name  string
		rate  Rate
		steps []step
	}{
		{"burst then refusal with the wait for one token", Rate{Every: 100 * time.Millisecond, Burst: 2}, []step{
			{0, "take", true, 0},
			{0, "take", true, 0},
			{0, "take", false, 100 * time.Millisecond},
			{40 * time.Millisecond, "take", false, 60 * time.Millisecond},
			{100 * time.Millisecond, "take", true, 0},
			{100 * time.Millisecond, "take", false, 100 * time.Millisecond},
		}},
		{"refills up to the burst, not beyond", Rate{Every: 10 * time.Millisecond, Burst: 3}, []step{
			{0, "take", true, 0},
			{time.Hour, "full", true, 0},
			{time.Hour, "take", true, 0},
			{time.Hour, "take", true, 0},
			{time.Hour, "take", true, 0},
			{time.Hour, "take", false, 10 * time.Millisecond},
		}},
		{"a token given back can be taken again", Rate{Every: time.Minute, Burst: 1}, []step{
			{0, "take", true, 0},
			{0, "take", false, time.Minute},
			{time.Second, "give", false, 0},
			{time.Second, "full", true, 0},
			{time.Second, "take", true, 0},
		}},
		{"giving back never exceeds the burst", Rate{Every: time.Minute, Burst: 2}, []step{
			{0, "give", false, 0},
			{0, "give", false, 0},
			{0, "take", true, 0},
			{0, "take", true, 0},
			{0, "take", false, time.Minute},
		}},
		{"a clock stepping back gains nothing", Rate{Every: time.Second, Burst: 1}, []step{
			{10 * time.Second, "take", true, 0},
			{5 * time.Second, "take", false, time.Second},
			{10 * time.Second, "take", false, time.Second},
			{11 * time.Second, "take", true, 0},
		}},
		{"the wait is never under a millisecond", Rate{Every: time.Microsecond, Burst: 1}, []step{
			{0, "take", true, 0},
			{0, "take", false, time.Millisecond},
		}},
		{"unlimited", Rate{Every: -1}, []step{
			{0, "take", true, 0},
			{0, "take", true, 0},
			{0, "full", true, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(tc.rate, t0)
			for i, s := range tc.steps {
				switch s.op {
				case "take":
					ok, retry := b.take(at(s.at))
					if ok != s.ok || retry != s.retry {
						t.Fatalf("step %d: take = %v, %v; want %v, %v", i, ok, retry, s.ok, s.retry)
					}
				case "give":
					b.giveBack(at(s.at))
				case "full":
					if got := b.full(at(s.at)); got != s.ok {
						t.Fatalf("step %d: full = %v", i, got)
					}
				}
			}
		})
	}
}

func TestBucketTakeN(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	b := newBucket(Rate{Every: time.Second / 64, Burst: 512}, t0)
	if ok, _ := b.takeN(t0, 500); !ok {
		t.Fatal("500 of a burst of 512 refused")
	}
	ok, wait := b.takeN(t0, 60)
	if ok || wait != 48*time.Second/64 { // 48 more tokens at 64 a second
		t.Fatalf("60 with 12 left: ok=%t wait=%v, want a refusal and 750ms", ok, wait)
	}
	if ok, _ := b.takeN(t0.Add(750*time.Millisecond), 60); !ok {
		t.Fatal("refused after the wait it named")
	}
	if ok, _ := b.takeN(t0.Add(time.Hour), 513); ok {
		t.Fatal("more than the burst passed")
	}
	unlimited := newBucket(Rate{Every: -1}, t0)
	if ok, _ := unlimited.takeN(t0, 1e9); !ok {
		t.Fatal("an unlimited bucket refused")
	}
}

func TestRateString(t *testing.T) {
	for _, tc := range []struct {
		r    Rate
		want string
	}{
		{Rate{Every: time.Second / 20, Burst: 60}, "60 at once, then 20 a second"},
		{Rate{Every: time.Second, Burst: 5}, "5 at once, then 1 a second"},
		{Rate{Every: 15 * time.Second, Burst: 5}, "5 at once, then one every 15s"},
		{Rate{Every: 300 * time.Millisecond, Burst: 2}, "2 at once, then one every 300ms"},
		{Rate{Every: -1}, "without limit"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%#v: %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rate
	}{
		{"5,15s", Rate{Every: 15 * time.Second, Burst: 5}},
		{" 60 , 50ms ", Rate{Every: 50 * time.Millisecond, Burst: 60}},
		{"off", Rate{Every: -1}},
	} {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if back, err := ParseRate(got.Flag()); err != nil || back != got {
			t.Errorf("%+v written as %q reads back as %+v, %v", got, got.Flag(), back, err)
		}
	}
	for _, in := range []string{"", "5", "5/15s", "0,1s", "-1,1s", "x,1s", "5,", "5,0s", "5,-1s", "5,fast", "Off"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %+v, want an error", in, r)
		}
	}
}

func TestLimitDefaults(t *testing.T) {
	var l Limits
	l.setDefaults()
	want := Limits{
		Messages:     Rate{Every: 50 * time.Millisecond, Burst: 60},
		Hangups:      Rate{Every: time.Second, Burst: 5},
		Calls:        Rate{Every: time.Second, Burst: 5},
		Rings:        Rate{Every: 15 * time.Second, Burst: 5},
		RelayKiB:     Rate{Every: time.Second / 64, Burst: 512},
		FloodStrikes: 180,
	}
	if l != want {
		t.Fatalf("defaults %+v, want %+v", l, want)
	}
	// Set fields stay; only the zero ones are filled in.
	l = Limits{Calls: Rate{Burst: 2}, Rings: Rate{Every: -1}}
	l.setDefaults()
	if l.Calls != (Rate{Every: time.Second, Burst: 2}) || !l.Rings.unlimited() || l.Messages.Burst != 60 {
		t.Fatalf("partial limits became %+v", l)
	}
	l = Limits{Off: true, Calls: Rate{Every: time.Hour, Burst: 1}}
	l.setDefaults()
	for _, r := range []Rate{l.Messages, l.Hangups, l.Calls, l.Rings, l.RelayKiB} {
		if !r.unlimited() {
			t.Fatalf("Off left a limit: %+v", l)
		}
	}
}

func TestCallLimitsForgetIdleAccounts(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	l := newCallLimits(Limits{Calls: Rate{Every: time.Second, Burst: 1}, Rings: Rate{Every: time.Second, Burst: 1}})
	for i := range minSweep {
		if ok, _ := l.placing(string(rune('a'+i%26))+string(rune(i)), t0); !ok {
			t.Fatalf("account %d refused its first call", i)
		}
	}
	// Every bucket is full again a second later: the next new account
	// sweeps them out instead of growing the map.
	l.placing("late", t0.Add(2*time.Second))
	if n := len(l.callers.m); n != 1 {
		t.Fatalf("%d buckets kept after a sweep, want 1", n)
	}
	// A spent bucket is not forgotten, so its limit holds.
	if ok, _ := l.placing("late", t0.Add(2*time.Second)); ok {
		t.Fatal("a spent bucket was forgotten")
	}
	// Answered calls give back to both sides.
	l.ringing("bob", t0)
	l.answered("late", "bob", t0.Add(2*time.Second))
	if ok, _ := l.placing("late", t0.Add(2*time.Second)); !ok {
		t.Fatal("answered call not given back to the caller")
	}
	if ok, _ := l.ringing("bob", t0.Add(time.Second/2)); !ok {
		t.Fatal("answered call not given back to the callee")
	}
}

// peekCases are messages with the type and id a refused message's reply
// gets; FuzzPeekRequest is seeded with them.
var peekCases = []struct {
	msg string
	typ string
	id  uint64
}{
	{`{"type":"hangup","id":7,"data":{"cid":"c1"}}`, proto.TypeHangup, 7},
	{`{"type":"relay","id":18446744073709551615,"data":{}}`, proto.TypeRelay, 1<<64 - 1},
	{`{"id":3,"type":"call"}`, proto.TypeCall, 3},
	{`{"type":"contacts"}`, proto.TypeContacts, 0},
	{`{"type":"contacts","id":"7"}`, "", 0},
	{`{"type":"contacts","id":-1}`, "", 0},
	{`{"type":7,"id":1}`, "", 0},
	{`{"type":"hangup","id":1`, "", 0},
	{`[1,2]`, "", 0},
	{`null`, "", 0},
	{``, "", 0},
	{"\xff\xfe", "", 0},
	{`{"type":"hangup","id":2,"extra":{"deep":[1,2,{"x":null}]}}`, proto.TypeHangup, 2},
}

func TestPeekRequest(t *testing.T) {
	for _, tc := range peekCases {
		typ, id := peekRequest([]byte(tc.msg))
		if typ != tc.typ || id != tc.id {
			t.Errorf("%q: got %q %d, want %q %d", tc.msg, typ, id, tc.typ, tc.id)
		}
	}
}

// FuzzPeekRequest: reading a refused message's head never panics, and what
// it reads is what a strict decode of a valid envelope reads.
func FuzzPeekRequest(f *testing.F) {
	for _, tc := range peekCases {
		f.Add([]byte(tc.msg))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		typ, id := peekRequest(msg)
		env, err := proto.DecodeEnvelope(msg)
		if err == nil && (env.Type != typ || env.ID != id) {
			t.Fatalf("peek read %q %d, strict decode %q %d", typ, id, env.Type, env.ID)
		}
	})
}

// BenchmarkBucketTake: the cost every message pays on its connection.
func BenchmarkBucketTake(b *testing.B) {
	now := time.Now()
	bk := newBucket(Rate{Every: time.Nanosecond, Burst: 60}, now)
	for i := range b.N {
		bk.take(now.Add(time.Duration(i)))
	}
}

// BenchmarkCallLimitsPlacing: the cost of a call's per-account check with
// 10,000 accounts calling.
func BenchmarkCallLimitsPlacing(b *testing.B) {
	l := newCallLimits(Limits{Calls: Rate{Every: time.Second, Burst: 5}})
	names := make([]string, 10000)
	for i := range names {
		names[i] = fmt.Sprintf("user%05d", i)
	}
	now := time.Now()
	b.ResetTimer()
	for i := range b.N {
		l.placing(names[i%len(names)], now.Add(time.Duration(i)*time.Microsecond))
	}
}

// BenchmarkPeekRequest: reading the head of a refused 1 KiB relay message.
func BenchmarkPeekRequest(b *testing.B) {
	msg := []byte(`{"type":"relay","id":42,"data":{"cid":"3f9c2a7be41d08a6c5e97b10","kind":"candidate","payload":{"candidate":"` +
		strings.Repeat("x", 1000) + `"}}}`)
	b.SetBytes(int64(len(msg)))
	for range b.N {
		peekRequest(msg)
	}
}
