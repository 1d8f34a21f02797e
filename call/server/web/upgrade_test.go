package web_test

import (
	"testing"

	"duet/call/proto"
)

// Duet turns its camera on in an audio call with the web client: the page
// answers Duet's renegotiation offer, decodes the video and shows it, its
// own camera still off; Duet's camera off takes the page back to the audio
// call's screen. The page made the first offer, so Duet's is a later one.
func TestWebSeesDuetTurnVideoOnChromium(t *testing.T) {
	r, p := guestInChromium(t, duetToneHz, chromiumOptions{})
	seesDuetTurnVideoOn(t, p, r.phone)
}

func TestWebSeesDuetTurnVideoOnFirefox(t *testing.T) {
	r, p := guestInFirefox(t, duetToneHz)
	seesDuetTurnVideoOn(t, p, r.phone)
}

func seesDuetTurnVideoOn(t *testing.T, p *page, ph *duetPhone) {
	t.Helper()
	startCall(p, ph, proto.CallTypeAudio, true, true)
	s := ph.Media()
	if s == nil {
		t.Fatal("no media on Duet's side")
	}
	const shown = `document.getElementById('stage').dataset.remoteVideo === 'true'`
	s.SetCamera(true)
	p.waitFrames(20)
	p.waitFor("the page showing Duet's video", shown)
	if n := p.int(`window.duet.pc.getSenders().filter((s) => s.track && s.track.kind === 'video').length`); n != 0 {
		t.Errorf("the page sends %d video tracks with its camera off", n)
	}
	s.SetCamera(false)
	p.waitFor("the page back to the audio call's screen", `!(`+shown+`)`)
	endCall(p, ph, true)
}
