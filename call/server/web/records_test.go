package web_test

import (
	"fmt"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
)

// Calls that are never answered, in Chromium: the page declines Duet's
// call, cancels its own, and hears that Duet is busy; each side learns
// why, and the record's status is the same in the page and for Duet.
func TestWebUnansweredCallsChromium(t *testing.T) {
	r, p := guestInChromium(t, 0, chromiumOptions{})
	unansweredCalls(t, p, r.phone)
}

func unansweredCalls(t *testing.T, p *page, ph *duetPhone) {
	t.Run("page declines", func(t *testing.T) {
		p := p.in(t)
		cid, err := ph.Call(p.ctx, "guest", proto.CallTypeVideo, call.CallOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.click(`#decline`)
		if e := next[*proto.CallRejected](t, p.ctx, ph); e.CID != cid || e.Reason != proto.ReasonRejected {
			t.Errorf("Duet got callRejected %+v, want cid %s and reason rejected", e, cid)
		}
		checkEnd(p, ph, cid, "Call ended: You declined the call.", proto.StatusRejected, "guest")
	})
	t.Run("page cancels", func(t *testing.T) {
		p := p.in(t)
		p.click(`#contacts li[data-account="duet"] button.call-audio`)
		be := next[*proto.BeCalling](t, p.ctx, ph)
		p.click(`#hangup`)
		if e := next[*proto.HangupEvent](t, p.ctx, ph); e.CID != be.CID || e.Reason != proto.ReasonCancelled {
			t.Errorf("Duet got hangup %+v, want cid %s and reason cancelled", e, be.CID)
		}
		checkEnd(p, ph, be.CID, "Call ended: You cancelled the call.", proto.StatusCancelled, "guest")
	})
	t.Run("Duet is busy", func(t *testing.T) {
		p := p.in(t)
		p.click(`#contacts li[data-account="duet"] button.call-video`)
		be := next[*proto.BeCalling](t, p.ctx, ph)
		if err := ph.RejectBusy(p.ctx, be.CID); err != nil {
			t.Fatal(err)
		}
		checkEnd(p, ph, be.CID, "Call ended: duet is busy in another call.", proto.StatusBusy, "duet")
	})
}

// checkEnd waits for the page to show the call ended with words, and its
// record with status and endedBy; Duet's history has the same record.
func checkEnd(p *page, ph *duetPhone, cid, words string, status proto.CallStatus, endedBy string) {
	p.t.Helper()
	p.waitVisible(`#call[data-state="ended"]`)
	if got := p.string(`document.getElementById('status').textContent`); got != words {
		p.t.Errorf("the page says %q, want %q", got, words)
	}
	p.waitVisible(fmt.Sprintf(`#history li.record[data-cid=%q][data-status="%d"][data-ended-by=%q]`, cid, status, endedBy))
	for {
		h, err := ph.Client().History(p.ctx, 0, 5)
		if err != nil {
			p.t.Fatalf("Duet's history: %v", err)
		}
		for _, rec := range h.Records {
			if rec.CID != cid {
				continue
			}
			if rec.Status != status || rec.EndedBy != endedBy {
				p.t.Errorf("Duet's record: status %v ended by %q, want %v by %q", rec.Status, rec.EndedBy, status, endedBy)
			}
			return
		}
		if p.ctx.Err() != nil {
			p.t.Fatalf("no record of %s in Duet's history", cid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
