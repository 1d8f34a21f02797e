package media

import "time"

// A frame whose last packet is lost is otherwise seen incomplete only when
// the next frame starts, a frame interval later; that wait comes on top of
// every ask and resend, and at 30 fps it turns a lost resend into a
// freeze. The packets of a frame come close together, paced, so one that
// is later than the gaps between them lately is asked for as missing. If
// it was only held in the sender's pacer, the ask costs one resend at
// most.
const tailMinWait = 10 * time.Millisecond

// frameTail watches whether the packet after the highest one is overdue:
// the highest did not end its frame, and nothing came for longer than the
// packets of a frame came apart lately. Not safe for concurrent use.
type frameTail struct {
	at      time.Time     // when the highest came
	inFrame bool          // the highest did not end its frame
	checked bool          // the packet after the highest was found overdue already
	pace    recentLongest // the longest gap between two packets of a frame
}

// received notes the new highest packet; paced tells that it came next
// after the one before and was not asked for, so the gap is the pace.
func (f *frameTail) received(paced, endsFrame bool, now time.Time) {
	if f.inFrame && paced {
		f.pace.note(now.Sub(f.at), now)
	}
	f.at, f.inFrame, f.checked = now, !endsFrame, false
}

// overdue says, once for each highest packet, when the packet after it
// went missing if it is overdue by now.
func (f *frameTail) overdue(now time.Time) (since time.Time, ok bool) {
	if !f.inFrame || f.checked || now.Sub(f.at) < tailWait(f.pace.get(now)) {
		return time.Time{}, false
	}
	f.checked = true
	return f.at, true
}

// tailWait is how long the packet after one that did not end its frame
// may take: a quarter more than the longest pace seen lately.
func tailWait(pace time.Duration) time.Duration {
	return max(pace*5/4, tailMinWait)
}
