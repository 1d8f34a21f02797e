package media

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// A missing packet is asked for once it cannot just be overtaken, again
// after each round trip, at
// most nackMaxAsks times, and never past the playout horizon; a packet
// that arrives is asked for no more; a long gap is not asked for at all.
func TestNACKGenerator(t *testing.T) {
	rtt, horizon := 50*time.Millisecond, 300*time.Millisecond
	g := newNACKGenerator(func() time.Duration { return rtt }, func() time.Duration { return horizon })
	st := &nackStream{missing: map[uint16]*missingPacket{}}
	g.streams[1] = st
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	asked := func(ms int) []uint16 {
		var seqs []uint16
		for _, p := range g.due(at(ms), 9) {
			for _, pair := range p.(*rtcp.TransportLayerNack).Nacks {
				seqs = append(seqs, pair.PacketList()...)
			}
		}
		return seqs
	}
	for _, seq := range []uint16{65533, 65534, 1, 2} { // 65535 and 0 lost, across the wrap
		st.received(seq, at(0))
	}
	if got := asked(10); len(got) != 0 {
		t.Fatalf("asked for %v before they could be told from reordered packets", got)
	}
	if got := asked(30); len(got) != 2 || got[0] != 65535 || got[1] != 0 {
		t.Fatalf("first ask %v, want [65535 0]", got)
	}
	if got := asked(50); len(got) != 0 {
		t.Errorf("asked again %v before a round trip", got)
	}
	st.received(0, at(60)) // resent
	if got := asked(100); len(got) != 1 || got[0] != 65535 {
		t.Errorf("second ask %v, want [65535]", got)
	}
	if got := asked(170); len(got) != 1 {
		t.Errorf("third ask %v", got)
	}
	for _, ms := range []int{240, 299} {
		if got := asked(ms); len(got) != 0 {
			t.Errorf("at %d ms asked %v after %d asks", ms, got, nackMaxAsks)
		}
	}
	if len(st.missing) != 0 {
		t.Errorf("still waiting for %v", st.missing)
	}

	st.received(uint16(2+nackMaxMissing+2), at(400)) // an outage
	if got := asked(410); len(got) != 0 {
		t.Errorf("asked for %d packets of an outage", len(got))
	}
	st.received(uint16(2+nackMaxMissing+4), at(400))
	horizon = 100 * time.Millisecond
	if got := asked(430); len(got) != 1 {
		t.Errorf("asked %v for one lost packet", got)
	}
	if got := asked(520); len(got) != 0 || len(st.missing) != 0 {
		t.Errorf("past the horizon asked %v, still missing %d", got, len(st.missing))
	}
}
