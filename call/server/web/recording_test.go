package web_test

import (
	"testing"

	"duet/call/proto"
)

// When Duet records a call with the web client, the page says so while it
// lasts: the "recording" relay kind the web client understands.
func TestWebShowsPeerRecordingChromium(t *testing.T) {
	r, p := guestInChromium(t, duetToneHz, chromiumOptions{})
	startCall(p, r.phone, proto.CallTypeAudio, true, true)
	s := r.phone.Media()
	if s == nil {
		t.Fatal("no media session on Duet's side")
	}
	if err := s.StartRecording(t.TempDir(), "web"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the page shows Duet recording", `document.querySelector('#peer-media').textContent.includes('is recording')`)
	if _, err := s.StopRecording(); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the page shows Duet stopped", `!document.querySelector('#peer-media').textContent.includes('is recording')`)
	endCall(p, r.phone, true)
}
