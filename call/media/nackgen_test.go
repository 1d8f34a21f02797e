package media

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"

	"duet/call/leaktest"
)

// A missing packet is asked for once it cannot just be overtaken, again
// after each round trip, at most nackMaxAsks times, and never past the playout horizon; a packet
// that arrives is asked for no more; a long gap is not asked for at all.
func TestNACKGenerator(t *testing.T) {
	rtt, horizon := 50*time.Millisecond, 300*time.Millisecond
	st, at, asked := nackRig(&rtt, &horizon)
	for _, seq := range []uint16{65533, 65534, 1, 2} { // 65535 and 0 lost, across the wrap
		st.received(seq, at(0), rtt)
	}
	if got := asked(3); len(got) != 0 {
		t.Fatalf("asked for %v before they could be told from reordered packets", got)
	}
	if got := asked(10); len(got) != 2 || got[0] != 65535 || got[1] != 0 {
		t.Fatalf("first ask %v, want [65535 0]", got)
	}
	if got := asked(50); len(got) != 0 {
		t.Errorf("asked again %v before a round trip", got)
	}
	st.received(0, at(60), rtt) // resent
	if w := reorderWait(st.overtaken.get(at(60))); w != reorderMinWait {
		t.Errorf("a resend taken for reordering: wait %v", w)
	}
	if got := asked(80); len(got) != 1 || got[0] != 65535 {
		t.Errorf("second ask %v, want [65535]", got)
	}
	if got := asked(150); len(got) != 1 {
		t.Errorf("third ask %v", got)
	}
	for _, ms := range []int{220, 299} {
		if got := asked(ms); len(got) != 0 {
			t.Errorf("at %d ms asked %v after %d asks", ms, got, nackMaxAsks)
		}
	}
	if len(st.missing) != 0 {
		t.Errorf("still waiting for %v", st.missing)
	}

	st.received(uint16(2+nackMaxMissing+2), at(400), rtt) // an outage
	if got := asked(410); len(got) != 0 {
		t.Errorf("asked for %d packets of an outage", len(got))
	}
	st.received(uint16(2+nackMaxMissing+4), at(400), rtt)
	horizon = 100 * time.Millisecond
	if got := asked(430); len(got) != 1 {
		t.Errorf("asked %v for one lost packet", got)
	}
	if got := asked(520); len(got) != 0 || len(st.missing) != 0 {
		t.Errorf("past the horizon asked %v, still missing %d", got, len(st.missing))
	}
}

// A packet that comes after a later one, before a resend could have, was
// overtaken: the next missing packet is given a quarter longer than that
// before it is asked for, up to reorderMaxWait, and for no more than
// twice pathMemory once the path keeps order again.
func TestNACKWaitsOutReordering(t *testing.T) {
	rtt, horizon := 60*time.Millisecond, 300*time.Millisecond
	st, at, asked := nackRig(&rtt, &horizon)
	for _, seq := range []uint16{1, 2, 4} {
		st.received(seq, at(0), rtt)
	}
	if got := asked(10); len(got) != 1 || got[0] != 3 {
		t.Fatalf("first ask %v, want [3]", got)
	}
	st.received(3, at(12), rtt) // 2 ms after the ask: the packet itself
	st.received(6, at(20), rtt)
	if got := asked(30); len(got) != 0 {
		t.Errorf("asked for %v within the reordering seen (12 ms)", got)
	}
	if got := asked(36); len(got) != 1 || got[0] != 5 {
		t.Errorf("ask after the reordering seen: %v, want [5]", got)
	}

	st.received(5, at(80), rtt) // 44 ms after the ask: a resend
	st.received(7, at(90), rtt)
	st.received(9, at(90), rtt)
	st.received(8, at(190), rtt) // overtaken for 100 ms, before any ask
	if w := reorderWait(st.overtaken.get(at(200))); w != reorderMaxWait {
		t.Errorf("wait %v after 100 ms of reordering, want at most %v", w, reorderMaxWait)
	}
	if w := reorderWait(st.overtaken.get(at(200).Add(2 * pathMemory))); w != reorderMinWait {
		t.Errorf("wait %v long after the last reordering, want %v", w, reorderMinWait)
	}
}

// An ask is made again a round trip after the last, with a little for
// jitter; a resend that comes only after that teaches the generator to
// wait as long as it took, and is not taken for a packet overtaken.
func TestNACKRetryFollowsAnswers(t *testing.T) {
	rtt, horizon := 40*time.Millisecond, 400*time.Millisecond
	st, at, asked := nackRig(&rtt, &horizon)
	for _, seq := range []uint16{1, 3} {
		st.received(seq, at(0), rtt)
	}
	mustAsk(t, asked(5), "first ask", 2)
	wantAsks(t, asked(49), "within the round trip")
	mustAsk(t, asked(50), "second ask, a round trip and resendJitter after the first", 2)
	st.received(2, at(55), rtt) // the first ask's resend, 50 ms after it
	if w := reorderWait(st.overtaken.get(at(55))); w != reorderMinWait {
		t.Errorf("a late resend taken for reordering: wait %v", w)
	}

	st.received(5, at(100), rtt)
	mustAsk(t, asked(105), "first ask", 4)
	wantAsks(t, asked(155), "before the answer seen (50 ms)")
	wantAsks(t, asked(160), "second ask once 55 ms have passed", 4)
}

// Before the round trip is measured, an ask is made again after the
// default guess of it, or after the answers seen once there are some; a
// packet that comes sooner after its ask than the guess is a resend all
// the same, not reordering to wait out.
func TestNACKBeforeRTTMeasured(t *testing.T) {
	var rtt time.Duration
	horizon := 400 * time.Millisecond
	st, at, asked := nackRig(&rtt, &horizon)
	for _, seq := range []uint16{1, 3, 5} {
		st.received(seq, at(0), rtt)
	}
	mustAsk(t, asked(5), "first ask", 2, 4)
	wantAsks(t, asked(105), "within the default round trip")
	wantAsks(t, asked(110), "second ask", 2, 4)
	st.received(2, at(152), rtt) // 42 ms after the second ask
	if w := reorderWait(st.overtaken.get(at(152))); w != reorderMinWait {
		t.Errorf("a resend taken for reordering: wait %v", w)
	}
	wantAsks(t, asked(156), "within the answer seen (42 ms)")
	wantAsks(t, asked(157), "third ask, 47 ms after the second", 4)
}

// wantAsks checks that an ask was for exactly want (none when empty).
func wantAsks(t *testing.T, got []uint16, what string, want ...uint16) bool {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: asked for %v, want %v", what, got, want)
		return false
	}
	return true
}

// mustAsk is wantAsks, ending the test when it fails.
func mustAsk(t *testing.T, got []uint16, what string, want ...uint16) {
	t.Helper()
	if !wantAsks(t, got, what, want...) {
		t.FailNow()
	}
}

// An answer far slower than the others does not space every later ask by
// it: the next ask waits for what three in four of the answers took.
func TestNACKRetryIgnoresRareSlowAnswers(t *testing.T) {
	var st nackStream
	now := time.Unix(0, 0)
	for i := range 12 {
		took := 42 * time.Millisecond
		if i == 5 {
			took = 84 * time.Millisecond
		}
		st.answered.note(took, now.Add(time.Duration(i)*time.Second))
	}
	now = now.Add(12 * time.Second)
	if got, want := st.retry(now, 40*time.Millisecond), 42*time.Millisecond+resendJitter; got != want {
		t.Errorf("retry %v after one slow answer in twelve, want %v", got, want)
	}
	for i := range 4 {
		st.answered.note(70*time.Millisecond, now.Add(time.Duration(i)*time.Millisecond))
	}
	if got, want := st.retry(now, 40*time.Millisecond), 70*time.Millisecond+resendJitter; got != want {
		t.Errorf("retry %v once a quarter of the answers took 70 ms or more, want %v", got, want)
	}
	if got := st.retry(now.Add(time.Hour), 40*time.Millisecond); got != 40*time.Millisecond+resendJitter {
		t.Errorf("retry %v an hour later, want the round trip and %v", got, resendJitter)
	}
}

// nackRig is a NACK generator with one stream, a clock in milliseconds,
// and what it asks for at a time.
func nackRig(rtt, horizon *time.Duration) (*nackStream, func(int) time.Time, func(int) []uint16) {
	g := newNACKGenerator(func() time.Duration { return *rtt }, func() time.Duration { return *horizon })
	st := &nackStream{missing: map[uint16]*missingPacket{}}
	g.streams[1] = st
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	asked := func(ms int) []uint16 {
		pkts, _ := g.due(at(ms), 9)
		return nackSeqs(pkts)
	}
	return st, at, asked
}

// nackSeqs is every sequence number the NACKs in pkts ask for.
func nackSeqs(pkts []rtcp.Packet) []uint16 {
	var seqs []uint16
	for _, p := range pkts {
		for _, pair := range p.(*rtcp.TransportLayerNack).Nacks {
			seqs = append(seqs, pair.PacketList()...)
		}
	}
	return seqs
}

// A packet asked for again is asked twice, in two datagrams two ticks apart,
// so that a lost NACK does not cost another round trip; a first ask goes
// once.
func TestNACKAsksAgainTwice(t *testing.T) {
	leaktest.Check(t)
	// A round trip of a second: no ask is due again while the test looks.
	g := newNACKGenerator(func() time.Duration { return time.Second },
		func() time.Duration { return time.Minute })
	now := time.Now()
	st := &nackStream{missing: map[uint16]*missingPacket{
		7: {since: now.Add(-3 * time.Second), asked: now.Add(-2 * time.Second), asks: 1},
		9: {since: now},
	}}
	g.streams[1] = st
	writes := make(chan []uint16, 16)
	g.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		writes <- nackSeqs(pkts)
		return 0, nil
	}))
	defer g.Close()
	var asks7, asks9 int
	deadline := time.After(5 * time.Second)
	for asks7 < 2 || asks9 < 1 {
		select {
		case seqs := <-writes:
			for _, seq := range seqs {
				switch seq {
				case 7:
					asks7++
				case 9:
					asks9++
				}
			}
			if slices.Contains(seqs, 7) && slices.Contains(seqs, 9) && asks7 > 1 {
				t.Fatalf("the copy of the second ask shares a datagram: %v", seqs)
			}
		case <-deadline:
			t.Fatalf("in 5 s packet 7 was asked %d times, 9 %d times", asks7, asks9)
		}
	}
	g.Close()
	close(writes)
	for seqs := range writes {
		for _, seq := range seqs {
			if seq == 9 {
				t.Errorf("a first ask was repeated: %v", seqs)
			}
		}
	}
}
