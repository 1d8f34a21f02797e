package media

import "time"

// How long a missing packet may just be overtaken. A path that keeps
// order gets a lost packet asked for almost at once, so that a resend
// that is lost too can still be asked for again before the playout
// horizon; a jittery path, whose packets overtake each other, gets the
// longest reordering it showed lately, so that it is not asked to resend
// what was only late.
const (
	reorderMinWait = 5 * time.Millisecond
	reorderMaxWait = 25 * time.Millisecond
	// reorderMemory: reordering is remembered for one to two of these.
	reorderMemory = 10 * time.Second
)

// reordering is the longest a packet of a stream was overtaken for, in
// the current and the previous reorderMemory. Not safe for concurrent
// use.
type reordering struct {
	current, previous time.Duration
	since             time.Time // start of current
}

func (r *reordering) note(d time.Duration, now time.Time) {
	r.roll(now)
	r.current = max(r.current, d)
}

// wait is how long to let a missing packet be overtaken before asking for
// it: a quarter more than the longest reordering remembered.
func (r *reordering) wait(now time.Time) time.Duration {
	r.roll(now)
	return min(max(max(r.current, r.previous)*5/4, reorderMinWait), reorderMaxWait)
}

func (r *reordering) roll(now time.Time) {
	switch age := now.Sub(r.since); {
	case age < reorderMemory:
		return
	case age < 2*reorderMemory:
		r.previous = r.current
	default:
		r.previous = 0
	}
	r.current, r.since = 0, now
}
