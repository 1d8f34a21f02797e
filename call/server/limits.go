package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is a token bucket's shape: Burst actions at once, then one more every
// Every. A zero field takes the default; a negative Every lifts the limit.
type Rate struct {
	Every time.Duration
	Burst int
}

func (r Rate) unlimited() bool { return r.Every < 0 }

// String says the rate for people: "60 at once, then 20 a second".
func (r Rate) String() string {
	switch {
	case r.unlimited():
		return "without limit"
	case r.Every > 0 && r.Every <= time.Second && time.Second%r.Every == 0:
		return fmt.Sprintf("%d at once, then %d a second", r.Burst, time.Second/r.Every)
	}
	return fmt.Sprintf("%d at once, then one every %s", r.Burst, r.Every)
}

func (r *Rate) setDefault(def Rate) {
	if r.Every == 0 {
		r.Every = def.Every
	}
	if r.Burst <= 0 {
		r.Burst = def.Burst
	}
}

// Limits bound how fast clients may make the server work and ring people.
// Over a limit a request fails with rate_limited and a retryAfterMs hint.
type Limits struct {
	// Messages bounds every message on one connection. Setting up a call
	// sends an offer or answer, a media state and one relay per ICE
	// candidate, trickled within a second: a few on a plain host, 10–30
	// with several interfaces, IPv6 and TURN over UDP and TCP. A burst of
	// 60 covers that twice over; 20 a second sustained is far above what a
	// connected client sends (keep-alive pings are not messages).
	Messages Rate
	// Hangups lets hangups through when Messages is spent, so a user can
	// always end a call, however much the client sent before.
	Hangups Rate
	// Calls bounds call requests per account, across all its devices: a
	// person dials a few times in a row at most, a script dials forever.
	Calls Rate
	// Rings bounds the calls placed to one callee, from every caller
	// together, so neither many callers nor one person with many accounts
	// can ring someone more than a few times a minute. 5 in a row covers a
	// caller retrying and two colleagues calling at once; then one every
	// 15 s is 4 a minute. Calls that are answered are given back, to Calls
	// as well: the limits are on ringing nobody wanted.
	Rings Rate
	// RelayKiB bounds the relay payload one connection sends, in KiB, so
	// that nobody can push more at the peer than its link may carry. A
	// call's offer and answer are a few KiB and a candidate is a fraction
	// of one: 512 at once, then 64 a second, is many ICE restarts' worth.
	RelayKiB Rate
	// FloodStrikes is how many refused messages a connection may collect
	// before it is closed with close code 1008 (policy violation). Strikes
	// wear off at the Messages rate, so a client that backs off when told
	// never gets near it; the default is 3 times the Messages burst.
	FloodStrikes int
	// Off lifts every limit (benchmarks that drive the server flat out).
	Off bool
}

func (l *Limits) setDefaults() {
	if l.Off {
		*l = Limits{Off: true, Messages: Rate{Every: -1}, Hangups: Rate{Every: -1}, Calls: Rate{Every: -1}, Rings: Rate{Every: -1},
			RelayKiB: Rate{Every: -1}}
		return
	}
	l.Messages.setDefault(Rate{Every: time.Second / 20, Burst: 60})
	l.Hangups.setDefault(Rate{Every: time.Second, Burst: 5})
	l.Calls.setDefault(Rate{Every: time.Second, Burst: 5})
	l.Rings.setDefault(Rate{Every: 15 * time.Second, Burst: 5})
	l.RelayKiB.setDefault(Rate{Every: time.Second / 64, Burst: 512})
	if l.FloodStrikes <= 0 {
		l.FloodStrikes = 3 * l.Messages.Burst
	}
}

// callLimits holds the per-account buckets: calls placed by each caller and
// calls placed to each callee. Safe for concurrent use: the sessions' readers
// check callers, the hub checks callees.
type callLimits struct {
	calls, rings Rate
	// tell, on a cluster, passes what this node charged to the others
	// (clusterlimits.go); set before the first session.
	tell func(limitNews)

	mu      sync.Mutex
	callers bucketMap // guarded by mu
	callees bucketMap // guarded by mu
}

func newCallLimits(l Limits) *callLimits {
	return &callLimits{calls: l.Calls, rings: l.Rings}
}

// placing spends one of caller's calls.
func (l *callLimits) placing(caller string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	ok, wait := l.callers.take(caller, l.calls, now)
	l.mu.Unlock()
	if ok && !l.calls.unlimited() {
		l.told(limitNews{kind: newsPlaced, account: caller})
	}
	return ok, wait
}

// ringing spends one of callee's rings.
func (l *callLimits) ringing(callee string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	ok, wait := l.callees.take(callee, l.rings, now)
	l.mu.Unlock()
	if ok && !l.rings.unlimited() {
		l.told(limitNews{kind: newsRung, account: callee})
	}
	return ok, wait
}

// answered gives back what an answered call spent.
func (l *callLimits) answered(caller, callee string, now time.Time) {
	l.mu.Lock()
	l.callers.giveBack(caller, now)
	l.callees.giveBack(callee, now)
	l.mu.Unlock()
	if !l.calls.unlimited() || !l.rings.unlimited() {
		l.told(limitNews{kind: newsAnswered, account: caller, callee: callee})
	}
}

func (l *callLimits) told(n limitNews) {
	if l.tell != nil {
		l.tell(n)
	}
}

// heard charges what another node charged: a token spent there is spent
// here too (what is left of one, when less), a given-back one returned.
func (l *callLimits) heard(news []limitNews, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range news {
		switch n.kind {
		case newsPlaced:
			l.callers.spend(n.account, l.calls, now)
		case newsRung:
			l.callees.spend(n.account, l.rings, now)
		case newsAnswered:
			l.callers.giveBack(n.account, now)
			l.callees.giveBack(n.callee, now)
		}
	}
}

// bucketMap holds a bucket per account. Accounts whose bucket is full again
// are forgotten (a new bucket starts full), so the map stays about as big as
// the set of recently active accounts.
type bucketMap struct {
	m       map[string]*bucket
	sweepAt int // sweep when the map grows to this size
}

// minSweep is the smallest map worth sweeping.
const minSweep = 1024

func (bm *bucketMap) take(key string, r Rate, now time.Time) (bool, time.Duration) {
	if r.unlimited() {
		return true, 0
	}
	b := bm.m[key]
	if b == nil {
		if bm.m == nil {
			bm.m = map[string]*bucket{}
		}
		if len(bm.m) >= max(bm.sweepAt, minSweep) {
			bm.sweep(now)
		}
		nb := newBucket(r, now)
		b = &nb
		bm.m[key] = b
	}
	return b.take(now)
}

// spend charges key's bucket with a token spent elsewhere.
func (bm *bucketMap) spend(key string, r Rate, now time.Time) {
	if r.unlimited() {
		return
	}
	// take makes the bucket, and takes a whole token if there is one.
	if ok, _ := bm.take(key, r, now); !ok {
		bm.m[key].spend(now)
	}
}

func (bm *bucketMap) giveBack(key string, now time.Time) {
	if b := bm.m[key]; b != nil {
		b.giveBack(now)
	}
}

// sweep forgets full buckets; the next sweep waits until the map has doubled,
// so sweeping costs O(1) per account added.
func (bm *bucketMap) sweep(now time.Time) {
	for k, b := range bm.m {
		if b.full(now) {
			delete(bm.m, k)
		}
	}
	bm.sweepAt = 2 * len(bm.m)
}

// DefaultLimits are the limits a zero Limits takes.
func DefaultLimits() Limits {
	var l Limits
	l.setDefaults()
	return l
}

// ParseRate reads a rate as an operator writes it: "BURST,EVERY", e.g.
// "5,15s" for five at once, then one every 15 seconds; "off" for no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Rate{Every: -1}, nil
	}
	burstText, everyText, ok := strings.Cut(s, ",")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want BURST,EVERY (e.g. 5,15s) or off", s)
	}
	burst, err := strconv.Atoi(strings.TrimSpace(burstText))
	if err != nil || burst < 1 {
		return Rate{}, fmt.Errorf("rate %q: the burst must be a whole number of at least 1", s)
	}
	every, err := time.ParseDuration(strings.TrimSpace(everyText))
	if err != nil || every <= 0 {
		return Rate{}, fmt.Errorf("rate %q: the interval must be a duration such as 50ms or 15s", s)
	}
	return Rate{Every: every, Burst: burst}, nil
}

// Flag writes the rate the way ParseRate reads it.
func (r Rate) Flag() string {
	if r.unlimited() {
		return "off"
	}
	return fmt.Sprintf("%d,%s", r.Burst, r.Every)
}
