package devices

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/call/leaktest"
	"duet/internal/pulsetest"
)

// The tests here run the real capture and playback paths against a
// private PulseAudio server (internal/pulsetest): its null sinks are the
// speakers, their monitors the microphones.

var (
	sinkA = pulsetest.Sink{Name: "duet_test_a", Description: "DuetTestA"}
	sinkB = pulsetest.Sink{Name: "duet_test_b", Description: "DuetTestB"}
)

// findDevice returns the device labelled label, if ds has it.
func findDevice(ds []Device, label string) (Device, bool) {
	i := slices.IndexFunc(ds, func(d Device) bool { return d.Label == label })
	if i < 0 {
		return Device{}, false
	}
	return ds[i], true
}

// pulseDevices returns the speaker of sink and the microphone of its monitor.
func pulseDevices(t *testing.T, sink pulsetest.Sink) (speaker, mic Device) {
	t.Helper()
	inv, err := List()
	if err != nil {
		t.Fatal(err)
	}
	speaker, ok1 := findDevice(inv.Speakers, sink.Description)
	mic, ok2 := findDevice(inv.Microphones, sink.MonitorLabel())
	if !ok1 || !ok2 {
		t.Fatalf("%s or its monitor missing: speakers %v microphones %v", sink.Description, inv.Speakers, inv.Microphones)
	}
	return speaker, mic
}

func TestPulseListShowsSinksAndMonitors(t *testing.T) {
	leaktest.Check(t)
	pulsetest.Start(t, sinkA, sinkB)
	inv, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, sk := range []pulsetest.Sink{sinkA, sinkB} {
		if _, ok := findDevice(inv.Speakers, sk.Description); !ok {
			t.Errorf("speaker %q not listed: %v", sk.Description, inv.Speakers)
		}
		if _, ok := findDevice(inv.Microphones, sk.MonitorLabel()); !ok {
			t.Errorf("microphone %q not listed: %v", sk.MonitorLabel(), inv.Microphones)
		}
	}
	// The first sink loaded is the server's default, and listed first.
	if len(inv.Speakers) == 0 || !inv.Speakers[0].Default || inv.Speakers[0].Label != sinkA.Description {
		t.Errorf("speakers %v: want %s first and default", inv.Speakers, sinkA.Description)
	}
}

// A sink plugged in while running is listed, speaker and monitor, without
// a restart; unplugged, it goes.
func TestPulseHotPlug(t *testing.T) {
	leaktest.Check(t)
	srv := pulsetest.Start(t, sinkA)
	listed := func(want bool) func() bool {
		return func() bool {
			inv, err := List()
			if err != nil {
				t.Fatal(err)
			}
			_, spk := findDevice(inv.Speakers, sinkB.Description)
			_, mic := findDevice(inv.Microphones, sinkB.MonitorLabel())
			return spk == want && mic == want
		}
	}
	if listed(true)() {
		t.Fatalf("%s listed before it was plugged in", sinkB.Description)
	}
	mod := srv.AddSink(sinkB)
	pollUntil(t, "the new sink and its monitor listed", listed(true))
	srv.RemoveSink(mod)
	pollUntil(t, "the removed sink and its monitor gone", listed(false))
}

// A tone played through the playback path into a sink comes back through
// the capture path (the microphone, its Opus encoder) from the sink's
// monitor, at its frequency.
func TestPulseToneThroughSink(t *testing.T) {
	leaktest.Check(t)
	pulsetest.Start(t, sinkA)
	speaker, mic := pulseDevices(t, sinkA)
	const freq = 700
	playTone(t, speaker.ID, freq)

	ctx := testContext(t, 20*time.Second)
	c, err := Open(ctx, CaptureConfig{MicrophoneID: mic.ID, Audio: true, Processing: AudioProcessing{Set: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.AudioProcessed() || len(c.Warnings()) != 0 {
		t.Fatalf("processed %t, warnings %v: want the monitor as it is", c.AudioProcessed(), c.Warnings())
	}
	enc := newEncodedReader(t, c.AudioTrack(), webrtc.MimeTypeOpus)
	dec := newTestDecoder(t)
	pcm := make([]int16, dec.MaxSamples())
	var rep ToneReport
	pollUntil(t, "the tone captured from the monitor", func() bool {
		var all []int16
		for range 10 { // 200 ms
			n, err := dec.Decode(readEncoded(ctx, t, enc), pcm)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, pcm[:n]...)
		}
		if rep, err = AnalyzePCM(all, 48000, 1); err != nil {
			t.Fatal(err)
		}
		return math.Abs(rep.Frequency-freq) <= 2 && rep.DBFS() > -20
	})
	t.Logf("captured %.2f Hz at %.1f dBFS", rep.Frequency, rep.DBFS())
}

// pollUntil polls cond until it holds, failing the test after 10 s.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A microphone unplugged while it is read (its sink removed from the
// sound server) is replaced by the default one: the capture goes on with
// the default's sound, and the Capture reports the fallback.
func TestPulseMicrophoneUnplugged(t *testing.T) {
	leaktest.Check(t)
	srv := pulsetest.Start(t, sinkA)
	mod := srv.AddSink(sinkB)
	speakerA, monitorA := pulseDevices(t, sinkA)
	_, monitorB := pulseDevices(t, sinkB)
	const freq = 700
	playTone(t, speakerA.ID, freq)

	ctx := testContext(t, 30*time.Second)
	c, err := Open(ctx, CaptureConfig{MicrophoneID: monitorB.ID, Audio: true, Processing: AudioProcessing{Set: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fallbacks := make(chan Fallback, 4)
	c.OnFallback(func(fb Fallback) { fallbacks <- fb })
	enc := newEncodedReader(t, c.AudioTrack(), webrtc.MimeTypeOpus)
	dec := newTestDecoder(t)
	pcm := make([]int16, dec.MaxSamples())
	if rep := decodeTone(ctx, t, enc, dec, pcm, 10); rep.DBFS() > -50 {
		t.Fatalf("sink B's monitor at %.1f dBFS before the unplug, want silence", rep.DBFS())
	}
	unplugged := time.Now()
	srv.RemoveSink(mod)
	// Reading goes on: the fallback happens inside a read.
	var fb Fallback
	pollUntil(t, "the fallback reported", func() bool {
		readEncoded(ctx, t, enc)
		select {
		case fb = <-fallbacks:
			return true
		default:
			return false
		}
	})
	t.Logf("fallback after %s: %+v", time.Since(unplugged).Round(time.Millisecond), fb)
	if fb.Kind != KindMicrophone || fb.Lost != monitorB.ID || fb.Now.ID != monitorA.ID || fb.Err != nil {
		t.Errorf("fallback %+v: want %s lost for %s", fb, monitorB.Label, monitorA.Label)
	}
	var rep ToneReport
	pollUntil(t, "the tone in sink A heard through the default microphone", func() bool {
		rep = decodeTone(ctx, t, enc, dec, pcm, 10)
		return math.Abs(rep.Frequency-freq) <= 2 && rep.DBFS() > -20
	})
	if got := c.MicrophoneID(); got != monitorA.ID {
		t.Errorf("microphone %q after the fallback, want %q", got, monitorA.ID)
	}
}

// A speaker unplugged while it plays reports that it is gone, and closes
// (a stopped malgo device whose stream was killed closes too).
func TestPulseSpeakerUnplugged(t *testing.T) {
	leaktest.Check(t)
	srv := pulsetest.Start(t, sinkA)
	mod := srv.AddSink(sinkB)
	speakerB, _ := pulseDevices(t, sinkB)
	pb, err := OpenPlayback(speakerB.ID, 48000, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	select {
	case <-pb.Lost():
		t.Fatal("the speaker counts as lost while plugged in")
	case <-time.After(2 * deviceLostAfter):
	}
	unplugged := time.Now()
	srv.RemoveSink(mod)
	select {
	case <-pb.Lost():
		t.Logf("lost reported after %s", time.Since(unplugged).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("the unplugged speaker was not reported lost")
	}
	closed := make(chan struct{})
	go func() {
		pb.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("closing the unplugged speaker hangs")
	}
}

// playTone plays a sine of freq Hz through the speaker id until the test
// ends.
func playTone(t *testing.T, id string, freq float64) {
	t.Helper()
	var phase float64
	pb, err := OpenPlaybackFrom(id, 48000, 1, func(out []int16) {
		for i := range out {
			out[i] = int16(math.Round(ToneAmplitude * 32767 * math.Sin(phase)))
			phase = math.Mod(phase+2*math.Pi*freq/48000, 2*math.Pi)
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pb.Close() })
}
