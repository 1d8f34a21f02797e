package web_test

import (
	"encoding/json"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/proto"
)

// restartWatch is how long media is watched at least after an ICE
// restart: the longest gap in received frames within it is measured.
const restartWatch = 4 * time.Second

// An ICE restart in a video call between the web client in Chromium and
// Duet, started by the page and by Duet: frames flow again on both sides
// afterwards, and the longest gap in them is logged: media stays on the old
// path until the new one connects, so it is about a frame interval or two,
// but a bound here would fail on a busy machine, not on a regression.
func TestWebICERestartChromium(t *testing.T) {
	r, p := guestInChromium(t, 0, chromiumOptions{})
	iceRestarts(t, p, r.phone)
}

func iceRestarts(t *testing.T, p *page, ph *duetPhone) {
	t.Run("page restarts", func(t *testing.T) {
		// The page made the first offer: its restart offers win collisions.
		iceRestart(p.in(t), ph, true, `window.duet.call.peer.offer(true)`)
	})
	t.Run("page restarts after answering", func(t *testing.T) {
		// Either side may restart: here the page, in a call whose first
		// offer was Duet's, so the page's offer turns the roles around.
		iceRestart(p.in(t), ph, false, `window.duet.call.peer.offer(true)`)
	})
	t.Run("Duet restarts", func(t *testing.T) {
		// Duet made the first offer. It restarts on its own only when its
		// path is down, and it has no way to be told to restart a working
		// one; but a peer that enters the room again gets a fresh offer
		// with new ICE credentials, so the page sends startRtc again.
		iceRestart(p.in(t), ph, false, `window.duet.call.join()`)
	})
}

// iceRestart makes a video call in which the page offers when pageOffers,
// runs trigger on the page to get an ICE restart, and measures the longest
// gap in received frames on both sides.
func iceRestart(p *page, ph *duetPhone, pageOffers bool, trigger string) {
	t := p.t
	startCall(p, ph, proto.CallTypeVideo, pageOffers, pageOffers)
	p.waitFrames(30)
	ph.waitStats(t, p.ctx, "30 frames decoded", func(s media.Stats) bool { return s.FramesDecoded >= 30 })
	ufrag := p.string(remoteUfragJS)
	p.eval(gapWatchJS, nil)
	restarted := time.Now()
	p.eval(trigger, nil)
	ph.waitStats(t, p.ctx, "an ICE restart", func(s media.Stats) bool { return s.ICERestarts >= 1 })
	p.waitFor("new ICE credentials from Duet", remoteUfragJS+` !== `+jsString(ufrag))
	p.waitFor("ICE connected again", `['connected', 'completed'].includes(window.duet.pc.iceConnectionState)`)
	time.Sleep(time.Until(restarted.Add(restartWatch)))

	// Frames flow again on both sides: the newest is recent. A gap longer
	// than the watch is waited out, so that it is measured whole.
	var page struct{ Max, SinceLast float64 }
	var times []time.Time
	for {
		p.eval(`(() => { const g = window.testGap; return {max: g.max, sinceLast: performance.now() - g.last}; })()`, &page)
		times = ph.frameTimes()
		if page.SinceLast < 300 && len(times) > 0 && time.Since(times[len(times)-1]) < 300*time.Millisecond {
			break
		}
		if p.ctx.Err() != nil {
			t.Fatalf("frames did not resume after the ICE restart: the page's newest is %.0f ms old, Duet's %v",
				page.SinceLast, time.Since(times[len(times)-1]).Round(time.Millisecond))
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.eval(`void (window.testGap.stop = true)`, nil)
	var duetMax time.Duration
	for i := 1; i < len(times); i++ {
		if times[i].After(restarted) {
			duetMax = max(duetMax, times[i].Sub(times[i-1]))
		}
	}
	t.Logf("longest gap in received frames after the restart: page %.0f ms, Duet %d ms (ICE restarts: %d, watched %v)",
		page.Max, duetMax.Milliseconds(), ph.Media().Stats().ICERestarts, time.Since(restarted).Round(100*time.Millisecond))
	endCall(p, ph, pageOffers)
}

// remoteUfragJS is the ICE username fragment of the page's remote description.
const remoteUfragJS = `(/a=ice-ufrag:(\S+)/.exec(window.duet.pc.remoteDescription.sdp) || [])[1]`

// gapWatchJS samples the page's decoded frames every 20 ms and keeps the
// longest time between two samples that saw new frames.
var gapWatchJS = `(async () => {
	const g = { max: 0, last: performance.now(), frames: await ` + framesJS + `, stop: false };
	window.testGap = g;
	(async () => {
		while (!g.stop) {
			await new Promise((r) => setTimeout(r, 20));
			const n = await ` + framesJS + `;
			const now = performance.now();
			// Firefox starts a new receive stream, and a new count, when it
			// applies an answer to its own renegotiation offer.
			if (n < g.frames) g.frames = 0;
			if (n > g.frames) {
				g.max = Math.max(g.max, now - g.last);
				g.last = now;
				g.frames = n;
			}
		}
	})();
})()`

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
