package media

import (
	"slices"
	"time"
)

// answerSamples is how many of the latest answers to NACKs are kept.
const answerSamples = 16

// answerTimes keeps how long the latest resends took to come after their
// ask. A resend now and then waits longer (behind a key frame in the
// sender's pacer, on a busy path); spacing every ask by the slowest would
// make every lost resend cost that much more, so the next ask waits for
// what three in four of the recent answers took. Not safe for concurrent
// use.
type answerTimes struct {
	took [answerSamples]time.Duration
	at   [answerSamples]time.Time
	n    int // samples noted, ever
}

func (a *answerTimes) note(d time.Duration, now time.Time) {
	a.took[a.n%answerSamples], a.at[a.n%answerSamples] = d, now
	a.n++
}

// usual is the answer time three in four of the samples of the last
// 2 × pathMemory were within; 0 with none.
func (a *answerTimes) usual(now time.Time) time.Duration {
	var recent [answerSamples]time.Duration // on the stack: asked every tick
	n := 0
	for i := range min(a.n, answerSamples) {
		if now.Sub(a.at[i]) <= 2*pathMemory {
			recent[n] = a.took[i]
			n++
		}
	}
	if n == 0 {
		return 0
	}
	slices.Sort(recent[:n])
	return recent[(n-1)*3/4]
}
