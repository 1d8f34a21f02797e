package bot_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"duet/call"
	"duet/call/bot"
	"duet/call/internal/await"
	"duet/call/phone"
	"duet/call/proto"
)

// A bot given --video and --audio files sends them: the caller sees the
// file's picture size, stamped, and hears its tone.
func TestBotSendsFiles(t *testing.T) {
	dir := t.TempDir()
	video, audio := filepath.Join(dir, "in.y4m"), filepath.Join(dir, "in.wav")
	writeTestY4M(t, video, 320, 240, 5)
	writeTestWAV(t, audio, 700, 16000)

	r := newRig(t)
	r.bot(bot.Config{Account: "qa-bot", Answer: bot.AnswerAccept, ToneHz: 440, VideoFile: video, AudioFile: audio})
	me := r.tester("tester", nil)
	me.waitOnline(t, "qa-bot")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := me.Call(ctx, "qa-bot", proto.CallTypeVideo, call.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	await.Event[*proto.CallAccepted](t, me.events)
	s := await.Event[*phone.MediaStarted](t, me.events).Session
	await.Until(t, "the file's stamped 320x240 video", func() bool {
		st := s.Stats()
		return me.framesSeen() >= 10 && st.Width == 320 && st.Height == 240
	})
	await.Until(t, "the file's 700 Hz tone", func() bool {
		hz := s.Stats().AudioHz
		return hz > 695 && hz < 705
	})
	if err := me.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// writeTestY4M writes frames of mid-grey 4:2:0 video at 30 fps.
func writeTestY4M(t *testing.T, path string, w, h, frames int) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "YUV4MPEG2 W%d H%d F30:1 C420jpeg\n", w, h)
	for i := range frames {
		b.WriteString("FRAME\n")
		b.Write(bytes.Repeat([]byte{byte(60 + 20*i)}, w*h))
		b.Write(bytes.Repeat([]byte{128}, w*h/2))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeTestWAV writes one second of a mono 16-bit tone (a whole number of
// periods for a whole freq, so it loops without a click).
func writeTestWAV(t *testing.T, path string, freq float64, rate int) {
	t.Helper()
	data := make([]byte, 2*rate)
	for i := range rate {
		v := int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v) // fmt: PCM, mono, 16-bit
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
