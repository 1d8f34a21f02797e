package gui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"duet/call/media"
	"duet/devices"
)

// diagnostics is everything a diagnostics report says, gathered from the
// UI's state, the devices and the log file; report turns it into text.
type diagnostics struct {
	At           time.Time
	Version      string
	OS, Arch, Go string
	Devices      devices.Inventory
	DevicesErr   error
	VoiceErr     error // the audio processing module would not start
	Settings     Settings
	ServerURL    string
	Embedded     bool   // ServerURL is the built-in server
	HostingURL   string // the built-in server's LAN address while hosting
	Account      string
	ConnState    connState
	Call         *callDiagnostics // nil when there is no call
	LogPath      string
	LogTail      []string
	LogErr       error

	// VideoFile and AudioFile stand in for camera and microphone (--video,
	// --audio); empty when not given.
	VideoFile, AudioFile string
}

// callDiagnostics is the call on screen.
type callDiagnostics struct {
	Peer, CID  string
	Type, Mode string
	Outgoing   bool
	Phase      callPhase
	Since      time.Duration // since answered, or since placed when not answered
	Answered   bool
	MediaState string
	HaveStats  bool
	Stats      media.Stats
}

// report is the plain-text diagnostics report. It never holds a token.
func (d diagnostics) report() string {
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "%-10s %s\n", label+":", value) }
	fmt.Fprintf(&b, "Duet diagnostics, %s\n\n", d.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	line("App", "Duet "+d.Version)
	line("System", d.OS+"/"+d.Arch+", "+d.Go)

	server := d.ServerURL
	switch {
	case d.ServerURL == "":
		server = "(none)"
	case d.Embedded && d.HostingURL != "":
		server += " (built-in server on this computer, hosted for the LAN at " + d.HostingURL + ")"
	case d.Embedded:
		server += " (built-in server on this computer, not hosted)"
	default:
		server += " (remote server)"
		if d.HostingURL != "" {
			server += "; the built-in server is hosted for the LAN at " + d.HostingURL
		}
	}
	line("Server", server)
	account := d.Account
	if account == "" {
		account = "(none)"
	}
	line("Account", account+", "+d.ConnState.String())

	b.WriteString("\nDevices found:\n")
	devs := func(label string, ds []devices.Device) {
		if len(ds) == 0 {
			fmt.Fprintf(&b, "  %-12s none\n", label+":")
			return
		}
		for i, dev := range ds {
			if i == 0 {
				fmt.Fprintf(&b, "  %-12s ", label+":")
			} else {
				fmt.Fprintf(&b, "  %-12s ", "")
			}
			def := ""
			if dev.Default {
				def = " [default]"
			}
			fmt.Fprintf(&b, "%s%s (id %s)\n", dev.Label, def, dev.ID)
		}
	}
	devs("Cameras", d.Devices.Cameras)
	devs("Microphones", d.Devices.Microphones)
	devs("Speakers", d.Devices.Speakers)
	if d.DevicesErr != nil {
		fmt.Fprintf(&b, "  Listing failed: %v\n", d.DevicesErr)
	}

	b.WriteString("\nSelected:\n")
	s := d.Settings
	if s.Synthetic {
		fmt.Fprintf(&b, "  %-12s synthetic test pattern and tone\n", "Sources:")
	}
	if d.VideoFile != "" {
		fmt.Fprintf(&b, "  %-12s %s (instead of the camera)\n", "Video file:", d.VideoFile)
	}
	if d.AudioFile != "" {
		fmt.Fprintf(&b, "  %-12s %s (instead of the microphone)\n", "Audio file:", d.AudioFile)
	}
	fmt.Fprintf(&b, "  %-12s %s\n", "Camera:", selected(cameraChoices(d.Devices), s.CameraID))
	fmt.Fprintf(&b, "  %-12s %s\n", "Microphone:", selected(d.Devices.Microphones, s.MicrophoneID))
	fmt.Fprintf(&b, "  %-12s %s\n", "Speaker:", selected(d.Devices.Speakers, s.SpeakerID))
	fmt.Fprintf(&b, "  %-12s %s\n", "Video size:", s.Resolution)
	fmt.Fprintf(&b, "  %-12s %s\n", "Voice:", voiceText(s, d.AudioFile != "", d.VoiceErr))

	b.WriteString("\n")
	if c := d.Call; c == nil {
		line("Call", "none")
	} else {
		dir := "incoming"
		if c.Outgoing {
			dir = "outgoing"
		}
		kind := c.Type
		if c.Mode != c.Type {
			kind += " (taken as " + c.Mode + ")"
		}
		when := "placed " + formatDuration(c.Since) + " ago"
		if c.Answered {
			when = "up " + formatDuration(c.Since)
		}
		line("Call", fmt.Sprintf("%s %s call with %s, %s, %s, cid %s", dir, kind, c.Peer, c.Phase, when, c.CID))
		if c.MediaState != "" {
			line("Media", c.MediaState)
		}
		if c.HaveStats {
			st := c.Stats
			video := "no video"
			if st.Width > 0 {
				video = fmt.Sprintf("%dx%d @ %.1f fps", st.Width, st.Height, st.FPS)
			}
			line("Stats", fmt.Sprintf("%s, %d frames decoded, %d decode errors", video, st.FramesDecoded, st.DecodeErrors))
			line("", fmt.Sprintf("receive %.0f kbit/s, send %.0f kbit/s, RTT %.1f ms, loss %.1f %%",
				st.RecvKbps, st.SendKbps, float64(st.RTT)/float64(time.Millisecond), st.Loss*100))
			line("", fmt.Sprintf("audio: %d packets decoded, level %.1f dBFS, %.0f Hz", st.AudioPackets, st.AudioDBFS, st.AudioHz))
			line("", fmt.Sprintf("quality %s (%s), %.1f %% of what is sent lost", st.Quality, st.QualityReason, st.SentLoss*100))
		}
	}

	b.WriteString("\n")
	switch {
	case d.LogPath == "":
		line("Log", "no log file")
	case d.LogErr != nil:
		line("Log", fmt.Sprintf("%s could not be read: %v", d.LogPath, d.LogErr))
	case len(d.LogTail) == 0:
		line("Log", d.LogPath+" is empty")
	default:
		fmt.Fprintf(&b, "Log (last %d lines of %s):\n", len(d.LogTail), d.LogPath)
		for _, l := range d.LogTail {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

// selected names the device chosen in Settings.
func selected(ds []devices.Device, id string) string {
	if id == "" {
		return defaultDevice
	}
	for _, d := range ds {
		if d.ID == id {
			return d.Label + " (id " + id + ")"
		}
	}
	return "not found (id " + id + ")"
}

// Limits of the log tail in a report.
const (
	diagLogLines = 50
	// logTailWindow is how much of the end of the log is read: enough for
	// 50 ordinary lines, and a huge log is never read whole.
	logTailWindow = 64 << 10
	// maxLogLine shortens absurdly long lines.
	maxLogLine = 1000
)

// readLogTail returns the last n lines of the log file at path.
func readLogTail(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	lines, err := tailLines(f, st.Size(), n, logTailWindow)
	if err != nil {
		return nil, fmt.Errorf("read log %s: %w", path, err)
	}
	return lines, nil
}

// tailLines returns the last n lines of the size bytes of r, reading at
// most window+1 bytes from the end. A line cut by the window's start is left
// out; lines over maxLogLine are shortened.
func tailLines(r io.ReaderAt, size int64, n int, window int64) ([]string, error) {
	if n <= 0 || size <= 0 {
		return nil, nil
	}
	off := max(size-window, 0)
	if off > 0 {
		off-- // one byte more: a newline there means the window starts a whole line
	}
	buf := make([]byte, size-off)
	if _, err := r.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if off > 0 {
		// Up to the first newline is the end of a line the window cut.
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			buf = nil
		} else {
			buf = buf[i+1:]
		}
	}
	buf = bytes.TrimRight(buf, "\n")
	if len(buf) == 0 {
		return nil, nil
	}
	all := strings.Split(string(buf), "\n")
	all = all[max(len(all)-n, 0):]
	for i, l := range all {
		l = strings.TrimRight(l, "\r")
		if len(l) > maxLogLine {
			k := maxLogLine
			for k > 0 && !utf8.RuneStart(l[k]) {
				k--
			}
			l = l[:k] + " …(cut)"
		}
		all[i] = l
	}
	return all, nil
}

// voiceText says what the microphone's audio goes through.
func voiceText(s Settings, file bool, unavailable error) string {
	switch {
	case s.Synthetic || file:
		return "sent as it is (a synthetic or file source)"
	case unavailable != nil:
		return unavailable.Error()
	}
	var on []string
	for _, f := range []struct {
		on   bool
		name string
	}{{s.EchoCancel, "echo cancellation"}, {s.NoiseSuppress, "noise suppression"}, {s.GainControl, "automatic level"}} {
		if f.on {
			on = append(on, f.name)
		}
	}
	if len(on) == 0 {
		return "unprocessed (turned off in Settings)"
	}
	return strings.Join(on, ", ")
}
