package media

import (
	"testing"
	"time"
)

func TestFeedbackIntervalFollowsTheRate(t *testing.T) {
	for _, c := range []struct {
		bps  int
		want time.Duration
	}{
		{0, 50 * time.Millisecond},
		{32_000, 50 * time.Millisecond},  // audio only
		{150_000, 50 * time.Millisecond}, // a narrow link: 25 ms would cost 7 % of it
		{400_000, 50 * time.Millisecond},
		{800_000, 33333333 * time.Nanosecond},
		{1_200_000, 25 * time.Millisecond},
		{2_500_000, 25 * time.Millisecond},
		{50_000_000, 25 * time.Millisecond},
	} {
		if got := feedbackInterval(c.bps); got != c.want {
			t.Errorf("%d bit/s: every %v, want %v", c.bps, got, c.want)
		}
	}
}

// interval is the feedback interval now.
func (c *feedbackClock) interval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.period
}

// arrive feeds the clock packets of size bytes at bps for span, from at;
// it returns the time after the last.
func arrive(c *feedbackClock, at time.Time, bps, size int, span time.Duration) time.Time {
	gap := time.Duration(float64(size*8) / float64(bps) * float64(time.Second))
	for end := at.Add(span); at.Before(end); at = at.Add(gap) {
		c.arrived(size, at)
	}
	return at
}

func TestFeedbackClockTicksFasterAtVideoRates(t *testing.T) {
	c := newFeedbackClock()
	tk := c.newTicker(time.Hour) // Pion's interval is not used
	defer tk.Stop()
	if got := c.interval(); got != feedbackIntervalMost {
		t.Fatalf("before anything arrived: every %v, want %v", got, feedbackIntervalMost)
	}
	at := arrive(c, time.Unix(1000, 0), 2_500_000, 1200, time.Second)
	if got := c.interval(); got != feedbackIntervalLeast {
		t.Errorf("at 2.5 Mbit/s: every %v, want %v", got, feedbackIntervalLeast)
	}
	// The link narrows: audio and a little video.
	arrive(c, at, 150_000, 300, time.Second)
	if got := c.interval(); got != feedbackIntervalMost {
		t.Errorf("at 150 kbit/s: every %v, want %v", got, feedbackIntervalMost)
	}
}

func TestFeedbackClockTicks(t *testing.T) {
	c := newFeedbackClock()
	arrive(c, time.Now(), 2_500_000, 1200, time.Second)
	tk := c.newTicker(time.Hour)
	defer tk.Stop()
	select {
	case <-tk.Ch():
	case <-time.After(10 * time.Second):
		t.Fatal("the feedback clock never ticked")
	}
}

func TestFeedbackPaceIsTheUsualGap(t *testing.T) {
	var p feedbackPace
	at := time.Unix(1000, 0)
	note := func(gaps ...time.Duration) {
		for _, g := range gaps {
			at = at.Add(g)
			p.note(at)
		}
	}
	ms := time.Millisecond
	note(0, 25*ms)
	if got := p.interval(); got != feedbackIntervalMost {
		t.Fatalf("after one gap: %v, want the default %v", got, feedbackIntervalMost)
	}
	// A report lost (a gap of two) and two bunched behind a queue.
	note(25*ms, 24*ms, 50*ms, 26*ms, 45*ms, 5*ms, 25*ms)
	if got := p.interval(); got < 24*ms || got > 26*ms {
		t.Errorf("reports every 25 ms, one lost, two bunched: %v", got)
	}
	// A libwebrtc receiver at a low rate.
	note(100*ms, 100*ms, 100*ms, 100*ms, 100*ms)
	if got := p.interval(); got != 100*ms {
		t.Errorf("reports every 100 ms: %v", got)
	}
}
