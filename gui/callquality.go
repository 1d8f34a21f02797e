package gui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"duet/call/media"
)

// qualityTally counts a call's seconds by the quality shown, for its
// history row. Owned by the UI thread.
type qualityTally struct {
	seconds    int // with a verdict
	poorLocal  int // poor, our link to blame
	poorRemote int
}

// add counts one stats sample: they come once a second.
func (t *qualityTally) add(st media.Stats) {
	if st.Quality == media.QualityUnknown {
		return
	}
	t.seconds++
	if st.Quality == media.QualityPoor {
		if st.QualityReason == media.ReasonRemote {
			t.poorRemote++
		} else {
			t.poorLocal++
		}
	}
}

// A call was poor when it was for poorCallSeconds or for poorCallShare
// of its seconds: a short call that was poor half the time was a poor
// call, a long one with ten bad seconds was one worth remembering.
const (
	poorCallSeconds = 10
	poorCallShare   = 0.2
)

// poorReason says whose link made the call poor, and false when it was not.
func (t qualityTally) poorReason() (media.QualityReason, bool) {
	poor := t.poorLocal + t.poorRemote
	if poor == 0 || (poor < poorCallSeconds && float64(poor) < poorCallShare*float64(t.seconds)) {
		return media.ReasonNone, false
	}
	if t.poorRemote > t.poorLocal {
		return media.ReasonRemote, true
	}
	return media.ReasonLocal, true
}

// poorCalls remembers which calls were poor and why, for the history: the
// server's records know nothing of quality, each side judges its own. The
// newest maxPoorCalls are kept in the preferences as "cid=local" entries,
// far more than the history shows. Owned by the UI thread.
type poorCalls struct {
	prefs   fyne.Preferences
	entries []string // oldest first
}

const (
	prefPoorCalls = "history.poorCalls"
	maxPoorCalls  = 200
)

func loadPoorCalls(p fyne.Preferences) *poorCalls {
	return &poorCalls{prefs: p, entries: p.StringList(prefPoorCalls)}
}

// note remembers that call cid was poor for reason.
func (c *poorCalls) note(cid string, reason media.QualityReason) {
	c.entries = slices.DeleteFunc(c.entries, func(e string) bool { return strings.HasPrefix(e, cid+"=") })
	c.entries = append(c.entries, cid+"="+reason.String())
	if n := len(c.entries) - maxPoorCalls; n > 0 {
		c.entries = slices.Delete(c.entries, 0, n)
	}
	c.prefs.SetStringList(prefPoorCalls, c.entries)
}

// reason says whose link made call cid poor, and false when it was not.
func (c *poorCalls) reason(cid string) (media.QualityReason, bool) {
	for _, e := range slices.Backward(c.entries) {
		if id, why, ok := strings.Cut(e, "="); ok && id == cid {
			if why == media.ReasonRemote.String() {
				return media.ReasonRemote, true
			}
			return media.ReasonLocal, true
		}
	}
	return media.ReasonNone, false
}

// poorLine is a poor call's line in its history row.
func poorLine(reason media.QualityReason) string {
	if reason == media.ReasonRemote {
		return lang.L("Poor connection (theirs)")
	}
	return lang.L("Poor connection (yours)")
}

// qualityHint is what hovering over or tapping the signal bars says.
func qualityHint(q media.Quality, reason media.QualityReason) string {
	switch {
	case q == media.QualityUnknown:
		return ""
	case q == media.QualityGood:
		return lang.L("Connection is good")
	case reason == media.ReasonRemote:
		return lang.L("Their connection is slow")
	}
	return lang.L("Your connection is slow")
}

// noteCallQuality remembers a call that was poor, when it leaves the
// screen, and shows it in the history. UI thread.
func (u *ui) noteCallQuality(ac *activeCall) {
	reason, poor := ac.quality.poorReason()
	if !poor || ac.cid == "" {
		return
	}
	u.poorCalls.note(ac.cid, reason)
	u.log.Info("the call was poor", "cid", ac.cid, "reason", reason, "seconds", ac.quality.seconds,
		"poorLocal", ac.quality.poorLocal, "poorRemote", ac.quality.poorRemote)
	u.history.refresh()
}
