package web_test

import (
	"errors"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
)

// A client signing in with the page's account and deviceId replaces the
// page in Chromium: the server closes the page's connection with 4001, the
// page says why and stays signed out, and the new client keeps working.
func TestWebReplacedDeviceChromium(t *testing.T) {
	r, p := guestInChromium(t, 0, chromiumOptions{})
	replacedDevice(t, p, r)
}

func replacedDevice(t *testing.T, p *page, r *webRig) {
	device := p.string(`localStorage.getItem('duet.device.guest')`)
	if device == "" {
		t.Fatal("the page keeps no deviceId")
	}
	c, err := call.Dial(p.ctx, call.Config{ServerURL: "ws://" + r.addr + "/ws", Account: "guest", Token: r.guestToken,
		ClientType: proto.ClientBot, DeviceID: device})
	if err != nil {
		t.Fatalf("sign in as the page's device: %v", err)
	}
	defer c.Close()
	p.waitVisible(`#signin-error:not(:empty)`)
	want := "Signed in on this device elsewhere. Sign in again to use it here."
	if got := p.string(`document.getElementById('signin-error').textContent`); got != want {
		t.Errorf("the page says %q, want %q", got, want)
	}
	if !p.bool(`document.body.dataset.view === 'signin'`) {
		t.Error("the page does not show the sign-in form")
	}
	// The page does not come back: that would take the device back.
	time.Sleep(1500 * time.Millisecond)
	if _, err := c.History(p.ctx, 0, 1); err != nil {
		if errors.Is(err, call.ErrReplaced) {
			t.Fatal("the page signed in again and replaced the new client")
		}
		t.Fatalf("the new client: %v", err)
	}
	if p.string(`document.getElementById('link').dataset.state`) != "offline" {
		t.Error("the page is not offline")
	}
}
