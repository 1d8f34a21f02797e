package gui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"duet/call/media"
)

func TestQualityTallyPoorReason(t *testing.T) {
	for _, tc := range []struct {
		name                string
		good, local, remote int
		unknown             int
		wantPoor            bool
		want                media.QualityReason
	}{
		{"never poor", 100, 0, 0, 0, false, media.ReasonNone},
		{"nine poor seconds of a long call", 100, 9, 0, 0, false, media.ReasonNone},
		{"ten poor seconds", 100, 10, 0, 0, true, media.ReasonLocal},
		{"a fifth of a short call", 8, 2, 0, 0, true, media.ReasonLocal},
		{"under a fifth", 9, 0, 2, 0, false, media.ReasonNone},
		{"their link mostly", 10, 2, 8, 0, true, media.ReasonRemote},
		{"a tie blames ours", 10, 5, 5, 0, true, media.ReasonLocal},
		{"unknown seconds do not count", 0, 0, 0, 50, false, media.ReasonNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q qualityTally
			add := func(n int, st media.Stats) {
				for range n {
					q.add(st)
				}
			}
			add(tc.good, media.Stats{Quality: media.QualityGood})
			add(tc.local, media.Stats{Quality: media.QualityPoor, QualityReason: media.ReasonLocal})
			add(tc.remote, media.Stats{Quality: media.QualityPoor, QualityReason: media.ReasonRemote})
			add(tc.unknown, media.Stats{})
			if got, poor := q.poorReason(); poor != tc.wantPoor || got != tc.want {
				t.Errorf("poorReason = %v, %v; want %v, %v", got, poor, tc.want, tc.wantPoor)
			}
		})
	}
}

// The poor calls survive a restart (they are in the preferences) and only
// the newest maxPoorCalls are kept.
func TestPoorCallsStore(t *testing.T) {
	a := test.NewTempApp(t)
	c := loadPoorCalls(a.Preferences())
	c.note("c1", media.ReasonRemote)
	c.note("c2", media.ReasonLocal)
	c = loadPoorCalls(a.Preferences())
	if r, ok := c.reason("c1"); !ok || r != media.ReasonRemote {
		t.Errorf("c1: %v %v, want remote", r, ok)
	}
	if r, ok := c.reason("c2"); !ok || r != media.ReasonLocal {
		t.Errorf("c2: %v %v, want local", r, ok)
	}
	if _, ok := c.reason("c3"); ok {
		t.Error("c3 was never poor")
	}
	c.note("c1", media.ReasonLocal) // noted again: replaced, not repeated
	if r, _ := c.reason("c1"); r != media.ReasonLocal || len(c.entries) != 2 {
		t.Errorf("c1 noted again: %v, %d entries", r, len(c.entries))
	}
	for i := range maxPoorCalls {
		c.note(fmt.Sprintf("n%d", i), media.ReasonRemote)
	}
	if n := len(a.Preferences().StringList(prefPoorCalls)); n != maxPoorCalls {
		t.Errorf("%d kept, want %d", n, maxPoorCalls)
	}
	if _, ok := c.reason("c2"); ok {
		t.Error("the oldest entry was kept")
	}
	if _, ok := c.reason(fmt.Sprintf("n%d", maxPoorCalls-1)); !ok {
		t.Error("the newest entry was dropped")
	}
}

// The bars light by level, hide while unknown, and say why on hover and
// on tap.
func TestQualityBars(t *testing.T) {
	test.NewTempApp(t)
	b := newQualityBars()
	w := test.NewTempWindow(t, b)
	w.Resize(fyne.NewSize(300, 60))
	if b.Visible() {
		t.Error("shown before any verdict")
	}
	for _, tc := range []struct {
		q      media.Quality
		reason media.QualityReason
		lit    int
		hint   string
	}{
		{media.QualityGood, media.ReasonNone, 3, "Connection is good"},
		{media.QualityFair, media.ReasonRemote, 2, "Their connection is slow"},
		{media.QualityPoor, media.ReasonLocal, 1, "Your connection is slow"},
		{media.QualityPoor, media.ReasonRemote, 1, "Their connection is slow"},
	} {
		b.set(tc.q, tc.reason)
		lit := 0
		for _, r := range b.bars {
			if r.FillColor != qualityOff {
				lit++
			}
		}
		if !b.Visible() || lit != tc.lit || b.hint.Text != tc.hint {
			t.Errorf("%v %v: visible %v, %d bars lit, hint %q; want %d, %q", tc.q, tc.reason, b.Visible(), lit, b.hint.Text,
				tc.lit, tc.hint)
		}
	}
	if b.hint.Visible() {
		t.Error("the hint shows unasked")
	}
	b.MouseIn(nil)
	if !b.hint.Visible() {
		t.Error("no hint on hover")
	}
	b.MouseOut()
	test.Tap(b)
	if !b.hint.Visible() {
		t.Error("no hint on tap")
	}
	test.Tap(b)
	if b.hint.Visible() {
		t.Error("the hint stays after a second tap")
	}
	b.set(media.QualityUnknown, media.ReasonNone)
	if b.Visible() {
		t.Error("shown with the quality unknown")
	}
}
