package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// duetPhone is Duet's own client on the other end of the page's calls: a
// phone with the synthetic camera and tone, whose events, decoded frames
// and joining of the room the test controls.
type duetPhone struct {
	*phone.Phone
	account string
	events  chan call.Event

	mu     sync.Mutex
	gate   chan struct{} // guarded by mu: closed (or nil) lets media start
	frames []time.Time   // guarded by mu: when each remote frame of the call was decoded
}

// newDuetPhone signs account in with its own deviceId; it closes when the
// test ends.
func newDuetPhone(t *testing.T, ctx context.Context, addr, account, token string, toneHz float64) *duetPhone {
	t.Helper()
	c, err := call.Dial(ctx, call.Config{ServerURL: "ws://" + addr + "/ws", Account: account, Token: token,
		ClientType: proto.ClientBot, DeviceID: "phone-" + account})
	if err != nil {
		t.Fatalf("sign %s in: %v", account, err)
	}
	p := &duetPhone{account: account, events: make(chan call.Event, 256)}
	p.Phone = phone.New(phone.Config{Client: c, LoopbackOnly: true, OnFrame: p.onFrame,
		OpenCapture: func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			p.mu.Lock()
			gate := p.gate
			p.mu.Unlock()
			if gate != nil {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true,
				Video: typ == proto.CallTypeVideo, ToneHz: toneHz})
		}})
	go func() {
		for ev := range p.Phone.Events() {
			p.events <- ev
		}
		close(p.events)
	}()
	t.Cleanup(func() { p.Close() })
	return p
}

// hold keeps the phone's next call out of its room until release, so the
// page is there first and makes the offer.
func (p *duetPhone) hold() {
	p.mu.Lock()
	p.gate = make(chan struct{})
	p.mu.Unlock()
}

func (p *duetPhone) release() {
	p.mu.Lock()
	if p.gate != nil {
		close(p.gate)
		p.gate = nil
	}
	p.mu.Unlock()
}

func (p *duetPhone) onFrame(f media.Frame) {
	p.mu.Lock()
	p.frames = append(p.frames, f.Decoded)
	p.mu.Unlock()
}

// frameTimes returns when each remote frame since the last call was decoded.
func (p *duetPhone) frameTimes() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.frames...)
}

func (p *duetPhone) resetFrames() {
	p.mu.Lock()
	p.frames = nil
	p.mu.Unlock()
}

// next returns the phone's next event of type T, skipping the others.
func next[T call.Event](t *testing.T, ctx context.Context, p *duetPhone) T {
	t.Helper()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				var zero T
				t.Fatalf("%s: events ended while waiting for %T", p.account, zero)
			}
			if got, ok := ev.(T); ok {
				return got
			}
		case <-ctx.Done():
			var zero T
			t.Fatalf("%s: no %T: %v", p.account, zero, ctx.Err())
		}
	}
}

// waitStats polls the call's media stats until ok holds.
func (p *duetPhone) waitStats(t *testing.T, ctx context.Context, what string, ok func(media.Stats) bool) media.Stats {
	t.Helper()
	var st media.Stats
	for {
		if s := p.Media(); s != nil {
			st = s.Stats()
			if ok(st) {
				return st
			}
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("%s: %s: not within the deadline (last: %d frames, %.0f Hz, %d audio packets)",
				p.account, what, st.FramesDecoded, st.AudioHz, st.AudioPackets)
		}
	}
}
