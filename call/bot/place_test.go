package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"duet/call"
	"duet/call/bot"
	"duet/call/internal/await"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
	"duet/devices"
)

// A callee whose connection drops mid-call and does not come back: the
// call ends as networkLost, with its own exit status.
func TestPlaceCallsNetworkLost(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.ReconnectGrace = time.Second })
	callee := r.tester("callee", nil)
	type placed struct {
		sum bot.Summary
		err error
	}
	done := make(chan placed, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		sum, err := bot.PlaceCalls(ctx, bot.Config{ServerURL: r.url(), LoopbackOnly: true, Account: "caller", Call: "callee",
			CallType: proto.CallTypeAudio, HangupAfter: time.Minute})
		done <- placed{sum, err}
	}()
	ring := await.Event[*proto.BeCalling](t, callee.events)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := callee.Accept(ctx, ring.CID, ring.Type); err != nil {
		t.Fatal(err)
	}
	s := await.Event[*phone.MediaStarted](t, callee.events).Session
	await.Until(t, "the caller's audio", func() bool { return s.Stats().AudioPackets > 10 })
	callee.Client().Close() // gone, and it stays gone
	res := <-done
	if res.err != nil || len(res.sum.Calls) != 1 {
		t.Fatalf("placed %+v: %v", res.sum, res.err)
	}
	sum := res.sum
	if o := sum.Calls[0].Outcome; o != bot.OutcomeNetworkLost || sum.ExitStatus() != 6 {
		t.Fatalf("outcome %v, status %d", o, sum.ExitStatus())
	}
}

// A callee that answers but sends nothing: the call completes on the
// server, but not for the bot, which received nothing.
func TestPlaceCallsNoMedia(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := call.Dial(ctx, call.Config{ServerURL: r.url(), Account: "mute", DeviceID: "mute-test", ClientType: proto.ClientDesktop})
	if err != nil {
		t.Fatal(err)
	}
	// No devices: the call goes on receive-only.
	mute := phone.New(phone.Config{Client: c, LoopbackOnly: true,
		OpenCapture: func(context.Context, proto.CallType) (*devices.Capture, error) {
			return nil, errors.New("no camera, no microphone")
		}})
	defer mute.Close()
	go func() {
		for ev := range mute.Events() {
			if ring, ok := ev.(*proto.BeCalling); ok {
				if err := mute.Accept(ctx, ring.CID, ring.Type); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	sum := placeCalls(t, r, "mute", 2*time.Second)
	if c := sum.Calls[0]; c.Outcome != bot.OutcomeNoMedia || c.AudioPackets != 0 || sum.ExitStatus() != 8 {
		t.Fatalf("call %+v, status %d", c, sum.ExitStatus())
	}
}

// placeCalls places one audio call to callee, hung up after hangupAfter.
func placeCalls(t *testing.T, r *rig, callee string, hangupAfter time.Duration) bot.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sum, err := bot.PlaceCalls(ctx, bot.Config{ServerURL: r.url(), LoopbackOnly: true, Account: "caller", Call: callee,
		CallType: proto.CallTypeAudio, HangupAfter: hangupAfter})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Calls) != 1 {
		t.Fatalf("calls %+v", sum.Calls)
	}
	return sum
}
