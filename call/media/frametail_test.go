package media

import (
	"testing"
	"time"
)

// The packet after one that did not end its frame is asked for once it is
// later than the frame's packets came apart lately (tailMinWait at least),
// not a frame interval later when the next frame starts; if it was only
// late, it is not taken for reordering; a packet that ends its frame leaves
// nothing to ask for.
func TestNACKAsksForOverdueEndOfFrame(t *testing.T) {
	rtt, horizon := 40*time.Millisecond, 400*time.Millisecond
	st, at, asked := nackRig(&rtt, &horizon)
	st.received(1, false, at(0), rtt)
	st.received(2, false, at(2), rtt)
	wantAsks(t, asked(11), "within tailMinWait of the last packet")
	mustAsk(t, asked(12), "the frame's next packet, overdue", 3)
	st.received(3, true, at(14), rtt) // only late
	if w := reorderWait(st.overtaken.get(at(14))); w != reorderMinWait {
		t.Errorf("a late packet of a frame taken for reordering: wait %v", w)
	}
	wantAsks(t, asked(100), "after a frame's last packet")

	st.received(4, false, at(133), rtt)
	st.received(5, false, at(143), rtt) // 10 ms apart: the tail may take 12.5
	wantAsks(t, asked(155), "within the pace seen")
	mustAsk(t, asked(156), "the frame's next packet, overdue", 6)
	wantAsks(t, asked(160), "the same packet, asked for already")
	st.received(7, true, at(166), rtt) // the next frame, of one packet: 6 is lost
	wantAsks(t, asked(200), "the lost packet before its ask had time to be answered")
	mustAsk(t, asked(201), "the lost packet again, a round trip and resendJitter after", 6)
}
