package gui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"duet/call/proto"
)

// autoCall places the video call Config.AutoCall asks for, once the callee
// shows up online (a bot may still be signing in). UI thread.
func (u *ui) autoCall(peer string, attempt int) {
	if u.conn.state != connOnline || u.call != nil {
		return
	}
	online := false
	for _, c := range u.contacts.book.all {
		if c.Account == peer && c.Presence == proto.PresenceOnline {
			online = true
		}
	}
	if !online && attempt < 30 {
		u.after(time.Second, func() { u.autoCall(peer, attempt+1) })
		return
	}
	u.log.Info("auto call", "callee", peer)
	u.placeCall(peer, proto.CallTypeVideo)
	if u.smoke != nil {
		u.after(smokeDeadline, func() {
			if !u.smoke.started {
				u.smoke.fail(u, errors.New("no remote video within "+smokeDeadline.String()))
			}
		})
	}
}

// smokeDeadline bounds a smoke run from the call to the first picture.
const smokeDeadline = 30 * time.Second

// smokeRun measures a call's video in the real window, saves a screenshot
// and quits (Config.ScreenshotPath).
type smokeRun struct {
	path    string
	measure time.Duration
	started bool  // UI thread
	err     error // UI thread; read by Run after the loop ended
}

// SmokeReport is what a smoke run measured while the remote video showed.
type SmokeReport struct {
	Seconds        float64 `json:"seconds"`
	FramesDecoded  uint64  `json:"framesDecoded"`
	FramesDrawn    uint64  `json:"framesDrawn"`
	DecodedPerSec  float64 `json:"decodedPerSec"`
	DrawnPerSec    float64 `json:"drawnPerSec"`
	CPUPercent     float64 `json:"cpuPercent"` // of one core, whole process
	RSSMiB         float64 `json:"rssMiB"`
	GoHeapMiB      float64 `json:"goHeapMiB"`
	VideoWidth     int     `json:"videoWidth"`
	VideoHeight    int     `json:"videoHeight"`
	Screenshot     string  `json:"screenshot"`
	Error          string  `json:"error,omitempty"`
	RecvKbps       float64 `json:"recvKbps"`
	RTTMillis      float64 `json:"rttMs"`
	DecodeErrors   uint64  `json:"decodeErrors"`
	WindowWidthPx  int     `json:"windowWidthPx"`
	WindowHeightPx int     `json:"windowHeightPx"`
}

// begin starts measuring once the remote tile has drawn its first picture.
func (s *smokeRun) begin(u *ui, ac *activeCall, tile *videoTile) {
	if s.started {
		return
	}
	s.started = true
	sess := ac.session
	u.goBG(func(ctx context.Context) {
		deadline := time.Now().Add(smokeDeadline)
		for tile.draws.Load() == 0 {
			if time.Now().After(deadline) {
				u.post(func() { s.fail(u, errors.New("remote video never drawn")) })
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		// Let the first second's key frame requests settle, then measure.
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		stopProfile := startCPUProfile(strings.TrimSuffix(s.path, ".png")+".pprof", u.log)
		t0, cpu0, draws0, seq0 := time.Now(), cpuTime(), tile.draws.Load(), sess.RemoteVideo().Load().Seq
		select {
		case <-ctx.Done():
			stopProfile()
			return
		case <-time.After(s.measure):
		}
		secs := time.Since(t0).Seconds()
		stopProfile()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		f := sess.RemoteVideo().Load()
		st := sess.Stats()
		rep := SmokeReport{
			Seconds:       secs,
			FramesDecoded: f.Seq - seq0,
			FramesDrawn:   tile.draws.Load() - draws0,
			CPUPercent:    100 * (cpuTime() - cpu0).Seconds() / secs,
			RSSMiB:        float64(rssBytes()) / (1 << 20),
			GoHeapMiB:     float64(ms.HeapInuse) / (1 << 20),
			Screenshot:    s.path,
			RecvKbps:      st.RecvKbps,
			RTTMillis:     float64(st.RTT) / float64(time.Millisecond),
			DecodeErrors:  st.DecodeErrors,
		}
		rep.DecodedPerSec = float64(rep.FramesDecoded) / secs
		rep.DrawnPerSec = float64(rep.FramesDrawn) / secs
		if f.Image != nil {
			rep.VideoWidth, rep.VideoHeight = f.Image.Rect.Dx(), f.Image.Rect.Dy()
		}
		u.post(func() { s.finish(u, rep) })
	})
}

// SmokeLinger is how long a smoke run stays in the call after writing its
// report, for a screenshot from outside: reading the GL front buffer (what
// Canvas.Capture does) yields black under Xvfb's software GL.
const SmokeLinger = 3 * time.Second

// finish captures the window, writes the PNG and the report, and quits.
func (s *smokeRun) finish(u *ui, rep SmokeReport) {
	img := u.win.Canvas().Capture()
	rep.WindowWidthPx, rep.WindowHeightPx = img.Bounds().Dx(), img.Bounds().Dy()
	u.goBG(func(ctx context.Context) {
		err := writePNG(s.path, img)
		if err == nil {
			err = writeReport(s.path, rep)
		}
		u.log.Info("smoke report", "report", fmt.Sprintf("%+v", rep), "err", err)
		u.post(func() { s.err = err })
		select {
		case <-ctx.Done():
		case <-time.After(SmokeLinger):
		}
		u.post(u.quit)
	})
}

func (s *smokeRun) fail(u *ui, err error) {
	if s.err != nil {
		return
	}
	s.err = err
	u.log.Error("smoke run failed", "err", err)
	img := u.win.Canvas().Capture()
	u.goBG(func(context.Context) {
		writePNG(s.path, img)
		writeReport(s.path, SmokeReport{Screenshot: s.path, Error: err.Error()})
		u.post(u.quit)
	})
}

// quit ends the app from the UI thread. Quit runs outside uiMu: closing the
// window shuts the ui down, which takes uiMu.
func (u *ui) quit() { u.dispatch(u.app.Quit) }

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("save screenshot: %w", err)
	}
	return f.Close()
}

// writeReport writes the report next to the screenshot, as .json.
func writeReport(pngPath string, rep SmokeReport) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(strings.TrimSuffix(pngPath, ".png")+".json", append(b, '\n'), 0o644)
}

// startCPUProfile profiles the process into path until the returned stop.
func startCPUProfile(path string, log *slog.Logger) (stop func()) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		log.Warn("no cpu profile", "err", err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
