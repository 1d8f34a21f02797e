package bot_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"

	"duet/call/bot"
	"duet/call/proto"
	"duet/devices"
)

// Two bots on a real server record each other: every call leaves, per
// side and named by its cid, an IVF whose frames decode to the peer's
// stamped pictures in order, and an Ogg whose Opus decodes to the peer's
// tone and lasts as long as the call did.
func TestBotsRecordCalls(t *testing.T) {
	r := newRig(t)
	calleeDir, callerDir := t.TempDir(), t.TempDir()
	logs := r.bot(bot.Config{Account: "qa-bot", Answer: bot.AnswerAccept, ToneHz: 660, RecordDir: calleeDir,
		CameraID: devices.SyntheticCameraID})
	nextLog(t, logs, "signed in")

	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	sum, err := bot.PlaceCalls(ctx, bot.Config{ServerURL: r.url(), LoopbackOnly: true, Account: "caller", Call: "qa-bot",
		CallType: proto.CallTypeVideo, Calls: 2, HangupAfter: 4 * time.Second, ToneHz: 880, RecordDir: callerDir,
		// The flat pattern: a loaded machine encodes it at full rate.
		CameraID: devices.SyntheticCameraID})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Calls) != 2 || sum.ExitStatus() != 0 || sum.Calls[0].CID == sum.Calls[1].CID {
		t.Fatalf("calls %+v", sum.Calls)
	}
	for _, c := range sum.Calls {
		for _, side := range []struct {
			dir    string
			toneHz float64
		}{{callerDir, 660}, {calleeDir, 880}} {
			frames, span := checkIVF(t, filepath.Join(side.dir, c.CID+".ivf"))
			// The synthetic camera sends 30 fps; under load it may send fewer.
			if frames < 10 || span < time.Second || span > c.Duration+time.Second {
				t.Errorf("%s: %d frames over %v in a call of %v", side.dir, frames, span, c.Duration)
			}
			hz, length := checkOgg(t, filepath.Join(side.dir, c.CID+".ogg"))
			if hz < side.toneHz-5 || hz > side.toneHz+5 {
				t.Errorf("%s: recorded tone %.1f Hz, want %.0f", side.dir, hz, side.toneHz)
			}
			if length < c.Duration/2 || length > c.Duration+time.Second {
				t.Errorf("%s: %v of audio in a call of %v", side.dir, length, c.Duration)
			}
			t.Logf("cid %s, %s: %d frames over %v, %v of %.1f Hz audio (call %v)", c.CID, filepath.Base(side.dir), frames, span, length, hz, c.Duration)
		}
		// The recording holds what was decoded, and the few frames that
		// arrived between the count at hang-up and the end of the media.
		if frames, _ := checkIVF(t, filepath.Join(callerDir, c.CID+".ivf")); uint64(frames) < c.Frames || uint64(frames) > c.Frames+15 {
			t.Errorf("call %s: the caller decoded %d frames and recorded %d", c.CID, c.Frames, frames)
		}
	}
}

// checkIVF decodes every frame of a recorded IVF and returns how many there
// are and the time they span. Each is a stamped picture of the synthetic
// camera, in order.
func checkIVF(t *testing.T, path string) (frames int, span time.Duration) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, hdr, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dec, err := devices.NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var first, last uint64
	var lastStamp uint32
	for {
		frame, fh, err := rd.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s frame %d: %v", path, frames, err)
		}
		img, err := dec.Decode(frame)
		if err != nil {
			t.Fatalf("%s frame %d does not decode: %v", path, frames, err)
		}
		if b := img.Bounds(); b.Dx() != int(hdr.Width) || b.Dy() != int(hdr.Height) {
			t.Fatalf("%s frame %d is %v, the header says %dx%d", path, frames, b, hdr.Width, hdr.Height)
		}
		n, _, ok := devices.ReadFrameStamp(img)
		if !ok || (frames > 0 && n <= lastStamp) {
			t.Fatalf("%s frame %d: stamp %d (ok %t) after %d", path, frames, n, ok, lastStamp)
		}
		lastStamp = n
		if frames == 0 {
			first = fh.Timestamp
		}
		last = fh.Timestamp
		frames++
	}
	if int(hdr.NumFrames) != frames {
		t.Errorf("%s: header counts %d frames, the file holds %d", path, hdr.NumFrames, frames)
	}
	// The reader scales PTS by the inverse time base (num/den seconds a
	// tick); undo that, then count ticks.
	num, den := uint64(hdr.TimebaseNumerator), uint64(hdr.TimebaseDenominator)
	ticks := (last - first) * num / den
	span = time.Duration(ticks) * time.Second * time.Duration(num) / time.Duration(den)
	return frames, span
}

// checkOgg decodes a recorded Ogg Opus file and returns the dominant
// frequency of its last second and its length by granule position, which
// must advance by whole 20 ms packets.
func checkOgg(t *testing.T, path string) (hz float64, length time.Duration) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, hdr, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if hdr.SampleRate != 48000 || hdr.Channels != 1 {
		t.Fatalf("%s: OpusHead %+v", path, hdr)
	}
	dec, err := devices.NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var pcm []int16
	buf := make([]int16, 48000*120/1000)
	var granule uint64
	for {
		page, ph, err := rd.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, isHeader := ph.HeaderType(page); isHeader || len(page) == 0 {
			continue // OpusTags, or the closing end-of-stream page
		}
		if step := ph.GranulePosition - granule; step != 960 {
			t.Fatalf("%s: a page of %d samples, want one 20 ms packet (960)", path, step)
		}
		granule = ph.GranulePosition
		n, err := dec.Decode(page, buf)
		if err != nil {
			t.Fatalf("%s: packet at granule %d: %v", path, granule, err)
		}
		pcm = append(pcm, buf[:n]...)
	}
	if len(pcm) < 48000 {
		t.Fatalf("%s: %d samples, want at least a second", path, len(pcm))
	}
	rep, err := devices.AnalyzePCM(pcm[len(pcm)-48000:], 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Frequency, time.Duration(granule) * time.Second / 48000
}
