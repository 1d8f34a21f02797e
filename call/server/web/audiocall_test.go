package web_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/proto"
)

// Tones of the audio test: Duet's synthetic microphone, and the WAV file
// the browser's fake microphone plays.
const (
	duetToneHz = 660
	pageToneHz = 1000
	// toneSlackHz covers an FFT bin of either side's measurement.
	toneSlackHz = 15
)

// The web client in Chromium and Duet's phone in an audio-only call: each
// finds the other's tone at its frequency.
func TestWebAudioCallChromium(t *testing.T) {
	wav := filepath.Join(t.TempDir(), "tone.wav")
	writeToneWAV(t, wav, pageToneHz)
	r, p := guestInChromium(t, duetToneHz, chromiumOptions{audioFile: wav})
	audioCall(t, p, r.phone)
}

// audioCall: the page places an audio call, both sides hear the other's
// tone, and the page hangs up.
func audioCall(t *testing.T, p *page, ph *duetPhone) {
	t.Helper()
	startCall(p, ph, proto.CallTypeAudio, true, true)
	if n := p.int(`window.duet.pc.getReceivers().filter((r) => r.track.kind === 'video').length`); n != 0 {
		t.Errorf("the page receives %d video tracks in an audio call", n)
	}
	hz := p.waitTone(pageHzNear(duetToneHz))
	st := ph.waitStats(t, p.ctx, "the page's tone", func(s media.Stats) bool { return math.Abs(s.AudioHz-pageToneHz) <= toneSlackHz })
	t.Logf("the page hears %.0f Hz (Duet sends %d Hz); Duet hears %.0f Hz at %.0f dBFS (the page sends %d Hz)",
		hz, duetToneHz, st.AudioHz, st.AudioDBFS, pageToneHz)
	endCall(p, ph, true)
	p.eval(`window.testAnalyser && window.testAnalyser.ctx.close()`, nil)
}

func pageHzNear(want float64) func(float64) bool {
	return func(hz float64) bool { return math.Abs(hz-want) <= toneSlackHz }
}

// toneJS is the loudest frequency of the call's remote audio, from a Web
// Audio analyser (made on first use); where Web Audio does not run, from
// a recording.
var toneJS = `(async () => {
	const c = window.duet.call;
	if (!c || !c.remote || c.remote.getAudioTracks().length === 0) return {hz: 0, db: -1000};
	if (!window.testAnalyser || window.testAnalyser.stream !== c.remote) {
		const ctx = new AudioContext();
		ctx.resume(); // not awaited: it waits for a gesture where autoplay is blocked
		const an = ctx.createAnalyser();
		an.fftSize = 8192;
		an.smoothingTimeConstant = 0;
		ctx.createMediaStreamSource(c.remote).connect(an);
		window.testAnalyser = { ctx, an, stream: c.remote };
	}
	const { ctx, an } = window.testAnalyser;
	if (ctx.state !== 'running') return await ` + recordedToneJS("c.remote") + `;
	const d = new Float32Array(an.frequencyBinCount);
	an.getFloatFrequencyData(d);
	let best = 1;
	for (let i = 2; i < d.length; i++) if (d[i] > d[best]) best = i;
	return { hz: best * ctx.sampleRate / an.fftSize, db: d[best] };
})()`

// waitTone waits until the loudest frequency the page receives is one ok
// accepts, and returns it.
func (p *page) waitTone(ok func(float64) bool) float64 {
	p.t.Helper()
	var r struct{ Hz, DB float64 }
	for {
		p.eval(toneJS, &r)
		if ok(r.Hz) && r.DB > -100 {
			return r.Hz
		}
		if p.ctx.Err() != nil {
			p.t.Fatalf("%s: the page hears %.0f Hz at %.0f dB", p.name, r.Hz, r.DB)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeToneWAV writes two seconds of a sine at hz (48 kHz, mono, 16 bit):
// Chromium's fake microphone plays it in a loop; a whole number of
// periods keeps the loop seamless.
func writeToneWAV(t *testing.T, path string, hz float64) {
	t.Helper()
	const rate, seconds = 48000, 2
	n := rate * seconds
	data := make([]byte, 44+2*n)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], 2*rate)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		v := 0.5 * math.Sin(2*math.Pi*hz*float64(i)/rate)
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(int16(v*math.MaxInt16)))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordedToneJS is the loudest frequency of the audio of stream (a JS
// expression), found without an audio device: a second of it recorded,
// decoded offline, and searched from 100 Hz to 4 kHz in 2 Hz steps.
// Firefox's Web Audio needs an output device to run, which a headless
// test machine does not have.
func recordedToneJS(stream string) string {
	return `(async () => {
	const ms = new MediaStream((` + stream + `).getAudioTracks());
	const rec = new MediaRecorder(ms);
	const chunks = [];
	rec.ondataavailable = (e) => chunks.push(e.data);
	const stopped = new Promise((r) => { rec.onstop = r; });
	rec.start();
	await new Promise((r) => setTimeout(r, 1000));
	rec.stop();
	await stopped;
	const buf = await new Blob(chunks).arrayBuffer();
	const audio = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(buf);
	const x = audio.getChannelData(0).slice(Math.floor(audio.length / 4)); // past the start's silence
	const rate = audio.sampleRate;
	let best = 0, bestPower = 0, energy = 0;
	for (const v of x) energy += v * v;
	for (let f = 100; f <= 4000; f += 2) {
		// Goertzel: the power of x at f.
		const k = 2 * Math.cos(2 * Math.PI * f / rate);
		let s1 = 0, s2 = 0;
		for (const v of x) { const s0 = v + k * s1 - s2; s2 = s1; s1 = s0; }
		const p = s1 * s1 + s2 * s2 - k * s1 * s2;
		if (p > bestPower) { best = f; bestPower = p; }
	}
	const db = 10 * Math.log10(energy / x.length + 1e-12);
	return { hz: best, db };
})()`
}
