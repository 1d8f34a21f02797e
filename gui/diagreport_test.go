package gui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"duet/call/media"
	"duet/devices"
)

func TestDiagnosticsReport(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	inv := devices.Inventory{
		Cameras:  []devices.Device{{ID: "cam0", Label: "Integrated Camera", Default: true}, {ID: "cam1", Label: "USB Cam"}},
		Speakers: []devices.Device{{ID: "spk0", Label: "Speakers", Default: true}},
	}
	base := diagnostics{At: at, Version: "1.2.3", OS: "linux", Arch: "amd64", Go: "go1.26.0",
		Devices: inv, Settings: Settings{CameraID: "cam1", SpeakerID: "gone", Resolution: res720p},
		ServerURL: "ws://127.0.0.1:4000/ws", Embedded: true, Account: "me", ConnState: connOnline,
		LogPath: "/x/duet.log", LogTail: []string{"line one", "line two"}}

	inCall := base
	inCall.HostingURL = "ws://192.168.1.5:7600/ws"
	inCall.Call = &callDiagnostics{Peer: "bob", CID: "c1", Type: "video", Mode: "audio", Outgoing: true,
		Phase: phaseLive, Answered: true, Since: 75 * time.Second, MediaState: "connected", HaveStats: true,
		Stats: media.Stats{State: webrtc.PeerConnectionStateConnected, Width: 640, Height: 480, FPS: 29.9,
			FramesDecoded: 1234, DecodeErrors: 2, RecvKbps: 812, SendKbps: 790, RTT: 1500 * time.Microsecond,
			Loss: 0.012, AudioPackets: 3000, AudioDBFS: -20.5, AudioHz: 523}}

	remote := base
	remote.ServerURL, remote.Embedded, remote.ConnState = "wss://duet.example.org/ws", false, connReconnecting
	remote.Devices, remote.DevicesErr = devices.Inventory{}, errors.New("query playback devices: no ALSA")
	remote.Settings = Settings{Synthetic: true, Resolution: res480p}
	remote.LogErr = fmt.Errorf("read log: %w", fs.ErrNotExist)
	remote.LogTail = nil

	noVoice := base
	noVoice.Settings.EchoCancel, noVoice.VoiceErr = true, fmt.Errorf("%w: refused", devices.ErrNoAudioProcessing)
	voice := base
	voice.Settings.EchoCancel, voice.Settings.GainControl = true, true

	files := base
	files.Settings.CameraID = devices.SyntheticSceneCameraID
	files.VideoFile, files.AudioFile = "/x/in.y4m", "/x/in.wav"

	for _, tc := range []struct {
		name     string
		d        diagnostics
		want     []string
		dontWant []string
	}{
		{"idle on the built-in server", base, []string{
			"Duet diagnostics, 2025-03-04 05:06:07 UTC",
			"App:       Duet 1.2.3",
			"System:    linux/amd64, go1.26.0",
			"Server:    ws://127.0.0.1:4000/ws (built-in server on this computer, not hosted)",
			"Account:   me, online",
			"Cameras:     Integrated Camera [default] (id cam0)",
			"              USB Cam (id cam1)",
			"Microphones: none",
			"Speakers:    Speakers [default] (id spk0)",
			"Camera:      USB Cam (id cam1)",
			"Microphone:  System default",
			"Speaker:     not found (id gone)",
			"Video size:  1280x720",
			"Voice:       unprocessed (turned off in Settings)",
			"Call:      none",
			"Log (last 2 lines of /x/duet.log):\n  line one\n  line two\n",
		}, []string{"Stats:", "synthetic"}},
		{"in a call while hosting", inCall, []string{
			"(built-in server on this computer, hosted for the LAN at ws://192.168.1.5:7600/ws)",
			"Call:      outgoing video (taken as audio) call with bob, live, up 1:15, cid c1",
			"Media:     connected",
			"Stats:     640x480 @ 29.9 fps, 1234 frames decoded, 2 decode errors",
			"receive 812 kbit/s, send 790 kbit/s, RTT 1.5 ms, loss 1.2 %",
			"audio: 3000 packets decoded, level -20.5 dBFS, 523 Hz",
		}, nil},
		{"remote, nothing found, no log", remote, []string{
			"Server:    wss://duet.example.org/ws (remote server)",
			"Account:   me, reconnecting",
			"Cameras:     none",
			"Listing failed: query playback devices: no ALSA",
			"Sources:     synthetic test pattern and tone",
			"Log:       /x/duet.log could not be read: read log: file does not exist",
		}, []string{"built-in"}},
		{"voice processing", voice, []string{"Voice:       echo cancellation, automatic level\n"}, nil},
		{"voice processing unavailable", noVoice, []string{"Voice:       no echo cancellation or noise suppression: the microphone is sent unprocessed: refused"}, nil},
		{"files and the synthetic scene", files, []string{
			"Voice:       sent as it is (a synthetic or file source)",
			"Camera:      Synthetic scene (detailed) (id synthetic:scene)",
			"Video file:  /x/in.y4m (instead of the camera)",
			"Audio file:  /x/in.wav (instead of the microphone)",
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.d.report()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(got, w) {
					t.Errorf("report has %q:\n%s", w, got)
				}
			}
		})
	}
}

func writeLog(t *testing.T, lines int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&b, "time=2025-03-04T05:06:07Z level=INFO msg=\"line %d\"\n", i)
	}
	path := filepath.Join(t.TempDir(), "duet.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadLogTail(t *testing.T) {
	if _, err := readLogTail(filepath.Join(t.TempDir(), "missing.log"), 50); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing log: %v", err)
	}
	for _, tc := range []struct{ lines, want int }{{0, 0}, {3, 3}, {50, 50}, {80, 50}} {
		got, err := readLogTail(writeLog(t, tc.lines), 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Fatalf("%d lines: got %d", tc.lines, len(got))
		}
		if tc.want > 0 && (!strings.HasSuffix(got[0], fmt.Sprintf("\"line %d\"", tc.lines-tc.want+1)) ||
			!strings.HasSuffix(got[len(got)-1], fmt.Sprintf("\"line %d\"", tc.lines))) {
			t.Fatalf("%d lines: got %q … %q", tc.lines, got[0], got[len(got)-1])
		}
	}
}

// logReader is a log of size bytes made of numbered lines, generated on
// the fly, that counts what is read of it.
type logReader struct {
	size int64
	read int64
}

const logLineLen = 32 // "entry 0000000000000000000000001\n"

func (r *logReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off+int64(n) < r.size {
		pos := off + int64(n)
		line := fmt.Sprintf("entry %025d\n", pos/logLineLen)
		n += copy(p[n:], line[pos%logLineLen:])
	}
	n = min(n, int(r.size-off))
	r.read += int64(n)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// A huge log is read only at its end.
func TestLogTailReadsOnlyTheEnd(t *testing.T) {
	r := &logReader{size: 10 << 30} // 10 GiB
	got, err := tailLines(r, r.size, 50, logTailWindow)
	if err != nil {
		t.Fatal(err)
	}
	if r.read > logTailWindow+1 {
		t.Fatalf("read %d bytes of a %d-byte log", r.read, r.size)
	}
	last := r.size/logLineLen - 1
	if len(got) != 50 || got[49] != fmt.Sprintf("entry %025d", last) || got[0] != fmt.Sprintf("entry %025d", last-49) {
		t.Fatalf("got %d lines: %q … %q", len(got), got[0], got[len(got)-1])
	}
}

func TestLogTailEdges(t *testing.T) {
	long := strings.Repeat("é", maxLogLine) // two bytes a rune
	for _, tc := range []struct {
		name, log string
		window    int64
		want      []string
	}{
		{"no trailing newline", "a\nb\nc", 100, []string{"a", "b", "c"}},
		{"CRLF", "a\r\nb\r\n", 100, []string{"a", "b"}},
		{"window cuts a line", "first line\nsecond\nthird\n", 15, []string{"second", "third"}},
		{"window starts a line", "first line\nsecond\nthird\n", 13, []string{"second", "third"}},
		{"window just past a line's start", "first line\nsecond\nthird\n", 12, []string{"third"}},
		{"window inside one line", "0123456789", 4, nil},
		{"empty", "", 100, nil},
		{"blank lines kept", "a\n\nb\n", 100, []string{"a", "", "b"}},
		{"long line cut on a rune", long + "\n", 1 << 20, []string{strings.Repeat("é", maxLogLine/2) + " …(cut)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tailLines(strings.NewReader(tc.log), int64(len(tc.log)), 50, tc.window)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzTailLines: any log, any window, never more than asked, lines kept
// short and valid UTF-8 when the log is.
func FuzzTailLines(f *testing.F) {
	for _, seed := range []string{"a\nb\nc", "a\r\nb\r\n", "first line\nsecond\nthird\n", "0123456789", "", "a\n\nb\n",
		strings.Repeat("é", maxLogLine) + "\n"} {
		f.Add(seed, int64(15), 50)
	}
	f.Fuzz(func(t *testing.T, log string, window int64, n int) {
		if window < 0 || window > 1<<20 || n > 1000 {
			t.Skip()
		}
		got, err := tailLines(strings.NewReader(log), int64(len(log)), n, window)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > max(n, 0) {
			t.Fatalf("%d lines for n=%d", len(got), n)
		}
		for _, l := range got {
			if len(l) > maxLogLine+len(" …(cut)") || strings.Contains(l, "\n") {
				t.Fatalf("line %q", l)
			}
			if utf8.ValidString(log) && !utf8.ValidString(l) {
				t.Fatalf("invalid UTF-8 from a valid log: %q", l)
			}
		}
	})
}
