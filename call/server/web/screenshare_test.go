package web_test

import (
	"testing"
	"time"

	"duet/call/proto"
	"duet/internal/xvfbtest"
)

// frameSizeJS is the size of the newest video frame the page decoded.
const frameSizeJS = `(async () => {
	let size = '';
	(await window.duet.pc.getStats()).forEach((r) => {
		if (r.type === 'inbound-rtp' && r.kind === 'video' && r.frameWidth) size = r.frameWidth + 'x' + r.frameHeight;
	});
	return size;
})()`

// When Duet shares its screen in a video call, the web client decodes the
// screen's frames and says what it shows; when sharing stops, the camera's
// frames come back and the line goes.
func TestWebSeesDuetShareScreenChromium(t *testing.T) {
	xvfbtest.Start(t, 1280, 720)
	xvfbtest.Fill(t, "#2040c0")
	r, p := guestInChromium(t, duetToneHz, chromiumOptions{})
	startCall(p, r.phone, proto.CallTypeVideo, true, true)
	p.waitFrames(10)
	s := r.phone.Media()
	if s == nil {
		t.Fatal("no media session on Duet's side")
	}
	s.ShareScreen("")
	// The screen's size, or 960x540 when the estimate is low on a busy machine.
	p.waitFrameSize("the page decoding the screen", func(size string) bool { return size == "1280x720" || size == "960x540" })
	p.waitFor("the page saying Duet shares its screen", `document.querySelector('#peer-media').textContent.includes('is sharing their screen')`)
	p.saveScreenshot("web-sees-screen-share")
	s.StopSharing()
	p.waitFor("the page saying the share ended", `!document.querySelector('#peer-media').textContent.includes('is sharing their screen')`)
	p.waitFrameSize("the page decoding the camera again", func(size string) bool { return size != "1280x720" && size != "960x540" && size != "" })
	endCall(p, r.phone, true)
}

// waitFrameSize waits until the size of the page's newest decoded frame
// ("WxH") satisfies ok.
func (p *page) waitFrameSize(what string, ok func(string) bool) {
	p.t.Helper()
	var size string
	for {
		if err := p.tryEval(frameSizeJS, &size); err == nil && ok(size) {
			return
		}
		if p.ctx.Err() != nil {
			p.t.Fatalf("%s: %s: not within the deadline; the newest frame is %q", p.name, what, size)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
