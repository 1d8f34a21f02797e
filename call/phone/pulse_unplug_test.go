package phone_test

import (
	"context"
	"math"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
	"duet/internal/pulsetest"
)

// Alice's microphone and speaker are sink B and its monitor: bob's 1 kHz
// tone, played there, reaches her microphone and bob hears it back. Sink B
// is unplugged mid-call: both fall back to the default, sink A, with an
// event for each, and bob hears his tone back again through sink A, over
// the same call.
func TestPulseDeviceUnpluggedMidCall(t *testing.T) {
	r := newRig(t)
	srv := pulsetest.Start(t, sinkA)
	mod := srv.AddSink(sinkB)
	inv, err := devices.List()
	if err != nil {
		t.Fatal(err)
	}
	speakerA, speakerB := findDevice(t, inv.Speakers, sinkA.Description), findDevice(t, inv.Speakers, sinkB.Description)
	monitorA, monitorB := findDevice(t, inv.Microphones, sinkA.MonitorLabel()), findDevice(t, inv.Microphones, sinkB.MonitorLabel())

	alice := r.phone("alice", 440, func(c *phone.Config) {
		c.Playback, c.SpeakerID = true, speakerB.ID
		c.OpenCapture = func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{MicrophoneID: monitorB.ID, Audio: true,
				Processing: devices.AudioProcessing{Set: true}})
		}
	})
	bob := r.phone("bob", 1000)
	_, sb, sa := connectCall(t, bob, alice, proto.CallTypeAudio) // bob calls
	hearsOwnTone := func() bool {
		st := sb.Stats()
		return math.Abs(st.AudioHz-1000) <= 5 && st.AudioDBFS > -40
	}
	eventually(t, "bob hearing his tone back through sink B", hearsOwnTone)

	unplugged := time.Now()
	srv.RemoveSink(mod)
	fellBack := map[devices.Kind]devices.Fallback{}
	timeout := time.After(testTimeout)
	for len(fellBack) < 2 {
		select {
		case ev := <-sa.Events():
			if e, ok := ev.(media.DeviceFellBack); ok {
				t.Logf("%s after %s", e, time.Since(unplugged).Round(time.Millisecond))
				fellBack[e.Kind] = e.Fallback
			}
		case <-timeout:
			t.Fatalf("fallbacks reported: %v; want the microphone's and the speaker's", fellBack)
		}
	}
	if fb := fellBack[devices.KindMicrophone]; fb.Lost != monitorB.ID || fb.Now.ID != monitorA.ID || fb.Err != nil {
		t.Errorf("microphone fallback %+v: want %s for %s", fb, monitorA.Label, monitorB.Label)
	}
	if fb := fellBack[devices.KindSpeaker]; fb.Lost != speakerB.ID || fb.Now.ID != speakerA.ID || fb.Err != nil {
		t.Errorf("speaker fallback %+v: want %s for %s", fb, speakerA.Label, speakerB.Label)
	}
	// The last 200 ms bob received must come after the fallbacks: a
	// second's packets more than when they were reported.
	since := sb.Stats().AudioPackets
	eventually(t, "bob hearing his tone back through sink A", func() bool {
		return sb.Stats().AudioPackets > since+50 && hearsOwnTone()
	})
	t.Logf("bob hears his tone back %s after the unplug", time.Since(unplugged).Round(time.Millisecond))
	bob.Hangup(context.Background())
}
