package phone_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
	"duet/internal/pulsetest"
)

var (
	sinkA = pulsetest.Sink{Name: "duet_a", Description: "DuetA"}
	sinkB = pulsetest.Sink{Name: "duet_b", Description: "DuetB"}
)

// Alice switches her microphone and her speaker during a call with bob,
// over real PulseAudio devices, without renegotiation. Her microphone goes
// from the synthetic 440 Hz tone to the monitor of sink B, where nothing
// plays yet: bob hears silence. Her speaker goes from sink A to sink B:
// bob's 1 kHz tone, played there, reaches her microphone and bob hears it
// back.
func TestPulseDeviceSwitchMidCall(t *testing.T) {
	r := newRig(t)
	pulsetest.Start(t, sinkA, sinkB)
	inv, err := devices.List()
	if err != nil {
		t.Fatal(err)
	}
	speakerA, speakerB := findDevice(t, inv.Speakers, sinkA.Description), findDevice(t, inv.Speakers, sinkB.Description)
	monitorB := findDevice(t, inv.Microphones, sinkB.MonitorLabel())

	alice := r.phone("alice", 440, func(c *phone.Config) {
		c.Playback, c.SpeakerID = true, speakerA.ID
		c.OpenCapture = func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{MicrophoneID: devices.SyntheticMicrophoneID, ToneHz: 440,
				Audio: true, Processing: devices.AudioProcessing{Set: true}})
		}
	})
	bob := r.phone("bob", 1000)
	_, sb, sa := connectCall(t, bob, alice, proto.CallTypeAudio) // bob calls
	eventually(t, "bob hearing alice's 440 Hz tone", func() bool { return math.Abs(sb.Stats().AudioHz-440) <= 5 })

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := sa.SwitchMicrophone(ctx, monitorB.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob hearing the silence of sink B", func() bool { return sb.Stats().AudioDBFS < -50 })
	if err := sa.SwitchSpeaker(speakerB.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob hearing his tone back through sink B", func() bool {
		st := sb.Stats()
		return math.Abs(st.AudioHz-1000) <= 5 && st.AudioDBFS > -40
	})
	if sa.Capture().MicrophoneID() != monitorB.ID {
		t.Errorf("alice's microphone is %q", sa.Capture().MicrophoneID())
	}
	bob.Hangup(context.Background())
}

// findDevice returns the device of ds labelled label, failing the test
// without one.
func findDevice(t *testing.T, ds []devices.Device, label string) devices.Device {
	t.Helper()
	i := slices.IndexFunc(ds, func(d devices.Device) bool { return d.Label == label })
	if i < 0 {
		t.Fatalf("no device %q in %v", label, ds)
	}
	return ds[i]
}
