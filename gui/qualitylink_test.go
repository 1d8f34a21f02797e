package gui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/pion/transport/v5"

	"duet/call/media"
	"duet/internal/vnetlink"
)

// onNet carries a desk's calls over a virtual network.
func onNet(n transport.Net) func(*ui) { return func(u *ui) { u.mediaNet = n } }

// TestQualityIndicatorOnImpairedLink: alice and bob talk over an emulated
// link. When bob's uplink loses a quarter of its packets, bob's bars go
// red and say his connection is slow, alice's say his is; restored, both
// go green again; the compact call keeps the bars. Each call record then
// says the call was poor, and whose link was to blame.
//
// An audio call: a video call over vnet under the race detector on a
// small shared machine is bound by the CPU, whose delays the estimate
// rightly reads as a slow link. The video signals have table tests in
// call/media.
func TestQualityIndicatorOnImpairedLink(t *testing.T) {
	r := newRig(t)
	l := vnetlink.New(t, vnetlink.Config{Delay: 10 * time.Millisecond})
	bob := r.newApp("bob", "bob-desktop", onNet(l.B))
	bob.signIn()
	alice := r.newApp("alice", "alice-desktop", onNet(l.A))
	alice.signIn()
	alice.waitFor("bob online", func() bool { return alice.row("bob") != nil && alice.row("bob").presence.Text == "Online" })
	alice.tap(func() *widget.Button { return alice.row("bob").audio })
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	bob.tap(func() *widget.Button { return bob.u.ring.acceptAudio })

	alice.waitForBars("good", media.QualityGood, "Connection is good")
	bob.waitForBars("good", media.QualityGood, "Connection is good")

	l.SetLossTo(l.A, 0.25) // what bob sends
	bob.waitForBars("poor, his link", media.QualityPoor, "Your connection is slow")
	alice.waitForBars("poor, bob's link", media.QualityPoor, "Their connection is slow")
	onUI(func() { test.Tap(bob.u.callView.quality) })
	bob.waitFor("the reason shown", func() bool { return bob.u.callView.quality.hint.Visible() })
	bob.saveScreenshot("quality-poor.png")
	// The compact call keeps the bars.
	bob.tap(func() *widget.Button { return bob.u.callView.compact })
	bob.waitFor("compact, with the bars", func() bool {
		return bob.w.Canvas().Size() == compactSize && bob.u.callView.quality.Visible()
	})
	bob.tap(func() *widget.Button { return bob.u.callView.compact })
	// Poor long enough for the history to remember.
	alice.waitFor("ten poor seconds", func() bool { return alice.u.call.quality.poorRemote >= poorCallSeconds })
	bob.waitFor("ten poor seconds", func() bool { return bob.u.call.quality.poorLocal >= poorCallSeconds })

	l.SetLossTo(l.A, 0)
	alice.waitForBars("recovered", media.QualityGood, "Connection is good")
	bob.waitForBars("recovered", media.QualityGood, "Connection is good")

	alice.tap(func() *widget.Button { return alice.u.callView.hangup })
	for _, d := range []struct {
		desk *desk
		line string
	}{{alice, "Poor connection (theirs)"}, {bob, "Poor connection (yours)"}} {
		a := d.desk
		a.waitFor("back at contacts", func() bool { return a.u.call == nil })
		onUI(func() { a.u.main.tabs.SelectIndex(1) })
		a.waitFor("the poor call's history row", func() bool {
			for _, o := range test.LaidOutObjects(a.u.history.list) {
				if row, ok := o.(*historyRowView); ok && row.Visible() && row.row.cid != "" {
					return row.quality.Visible() && row.quality.Text == d.line
				}
			}
			return false
		})
	}
}

// waitForBars waits until the call screen's bars show q with hint.
func (a *desk) waitForBars(what string, q media.Quality, hint string) {
	a.t.Helper()
	a.waitFor("bars "+what, func() bool {
		v := a.u.callView
		return v != nil && v.quality.Visible() && v.quality.q == q && v.quality.hint.Text == hint
	})
}
