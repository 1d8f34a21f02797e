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
	// pathMemory: what a path showed (reordering, slow answers) is
	// remembered for one to two of these.
	pathMemory = 10 * time.Second
)

// reorderWait is how long to let a missing packet be overtaken before
// asking for it: a quarter more than the longest reordering remembered.
func reorderWait(longest time.Duration) time.Duration {
	return min(max(longest*5/4, reorderMinWait), reorderMaxWait)
}

// recentLongest is the longest duration noted in the current and the
// previous pathMemory. Not safe for concurrent use.
type recentLongest struct {
	current, previous time.Duration
	since             time.Time // start of current
}

func (r *recentLongest) note(d time.Duration, now time.Time) {
	r.roll(now)
	r.current = max(r.current, d)
}

func (r *recentLongest) get(now time.Time) time.Duration {
	r.roll(now)
	return max(r.current, r.previous)
}

func (r *recentLongest) roll(now time.Time) {
	switch age := now.Sub(r.since); {
	case age < pathMemory:
		return
	case age < 2*pathMemory:
		r.previous = r.current
	default:
		r.previous = 0
	}
	r.current, r.since = 0, now
}
