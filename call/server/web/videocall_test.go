package web_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
)

// webRig is a server with two accounts: guest, signed in on the page, and
// duet, a phone of Duet's own.
type webRig struct {
	addr       string
	guestToken string
	phone      *duetPhone
}

func newWebRig(t *testing.T, ctx context.Context, toneHz float64) *webRig {
	t.Helper()
	db := filepath.Join(t.TempDir(), "duet.db")
	r := &webRig{guestToken: addToken(t, db, "guest")}
	duetToken := addToken(t, db, "duet")
	r.addr = startServer(t, server.Config{DB: db})
	r.phone = newDuetPhone(t, ctx, r.addr, "duet", duetToken, toneHz)
	return r
}

// videoCallCase is who places the call and who makes the first offer.
type videoCallCase struct {
	name                  string
	pageCalls, pageOffers bool
}

var videoCallCases = []videoCallCase{
	{"page calls, page offers", true, true},
	{"page calls, Duet offers", true, false},
	{"Duet calls, page offers", false, true},
	{"Duet calls, Duet offers", false, false},
}

// The web client in Chromium and Duet's phone call each other, each side
// placing the call and each side making the offer; both decode the
// other's video.
func TestWebVideoCallsChromium(t *testing.T) {
	r, p := guestInChromium(t, 0, chromiumOptions{})
	videoCalls(t, p, r.phone)
	t.Run("quality verdicts", func(t *testing.T) { checkQualityVerdicts(t, p) })
}

// videoCalls makes a video call for each of videoCallCases.
func videoCalls(t *testing.T, p *page, ph *duetPhone) {
	for _, c := range videoCallCases {
		t.Run(c.name, func(t *testing.T) {
			started := time.Now()
			p := p.in(t)
			startCall(p, ph, proto.CallTypeVideo, c.pageCalls, c.pageOffers)
			frames := p.waitFrames(30)
			if c == videoCallCases[0] {
				waitQualityShown(t, p)
			}
			st := ph.waitStats(t, p.ctx, "30 frames decoded", func(s media.Stats) bool { return s.FramesDecoded >= 30 })
			codecs := p.string(receivedCodecsJS)
			t.Logf("page decoded %d frames (%s), Duet %d, %v after the call was placed",
				frames, codecs, st.FramesDecoded, time.Since(started).Round(time.Millisecond))
			if p.name == "firefox" && c.pageOffers && codecs == "audio/opus 111, video/VP8 96" {
				// Firefox numbers them 109 and 120; Duet must send with those.
				t.Error("Firefox offered Duet's own payload types: the call no longer shows that Duet sends the negotiated ones")
			}
			endCall(p, ph, c.pageCalls)
		})
	}
}

// receivedCodecsJS names the codecs and payload types the page receives.
const receivedCodecsJS = `(async () => {
	const st = await window.duet.pc.getStats();
	const out = [];
	st.forEach((r) => {
		if (r.type !== 'inbound-rtp') return;
		const c = st.get(r.codecId);
		out.push(c ? c.mimeType + ' ' + c.payloadType : r.kind + ' ?');
	});
	return out.sort().join(', ');
})()`

// startCall places a call between the page and the phone, with the offer
// made by the page when pageOffers, and waits until the page is in the call.
func startCall(p *page, ph *duetPhone, typ proto.CallType, pageCalls, pageOffers bool) string {
	p.t.Helper()
	ctx := p.ctx
	// The side that must offer enters the room first: the other is held
	// back until it is there.
	if pageOffers {
		ph.hold()
	}
	p.holdJoin(!pageOffers)
	ph.resetFrames()
	button := "button.call-audio"
	if typ == proto.CallTypeVideo {
		button = "button.call-video"
	}
	accepted := make(chan error, 1)
	var cid string
	if pageCalls {
		p.clickArmed(fmt.Sprintf(`#contacts li[data-account=%q] %s`, ph.account, button))
		be := next[*proto.BeCalling](p.t, ctx, ph)
		cid = be.CID
		// Accepting joins the room, so it waits for the hold.
		go func() { accepted <- ph.Accept(ctx, be.CID, be.Type) }()
	} else {
		var err error
		if cid, err = ph.Call(ctx, "guest", typ, call.CallOptions{}); err != nil {
			p.t.Fatalf("Duet calls the page: %v", err)
		}
		p.waitVisible(`#call[data-state="incoming"] #answer`)
		p.clickArmed(`#answer`)
		accepted <- nil
	}
	if pageOffers {
		p.waitFor("the page in the room", inRoomJS)
		ph.release()
	} else {
		next[*proto.SyncDone](p.t, ctx, ph)
		p.releaseJoin()
	}
	if err := <-accepted; err != nil {
		p.t.Fatalf("Duet answers: %v", err)
	}
	p.waitVisible(`#call[data-state="in-call"]`)
	if got := p.offered(); got != pageOffers {
		p.t.Fatalf("the page made the offer: %v, want %v", got, pageOffers)
	}
	return cid
}

// endCall hangs up from the page when pageEnds, else from the phone, and
// waits until both sides ended the call.
func endCall(p *page, ph *duetPhone, pageEnds bool) {
	p.t.Helper()
	if pageEnds {
		p.click(`#hangup`)
	} else if err := ph.Hangup(p.ctx); err != nil {
		p.t.Fatalf("Duet hangs up: %v", err)
	}
	p.waitVisible(`#call[data-state="ended"]`)
	next[*phone.MediaEnded](p.t, p.ctx, ph)
	if !p.bool(`window.duet.call.peer.pc.connectionState === 'closed'`) {
		p.t.Error("the page's peer connection is not closed after the call")
	}
}
