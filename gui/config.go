package gui

import (
	"context"
	"crypto/x509"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
)

// Config is what main passes to Run. Non-empty fields (true for booleans)
// override the preferences the app remembers; empty fields leave them be.
type Config struct {
	// ServerURL, Account and Token preset the sign-in form.
	ServerURL, Account, Token string
	// RootCAs checks a wss:// server's certificate; nil: the system's roots.
	RootCAs *x509.CertPool
	// Synthetic uses the test pattern and tone instead of the camera and
	// microphone (QA).
	Synthetic bool
	// VideoFile and AudioFile, when set, replace the camera and the
	// microphone for this session with looping files (a .y4m and a .wav,
	// see devices.CaptureConfig), whatever Settings say.
	VideoFile, AudioFile string
	// AlwaysRelay sends calls through the server's TURN relay only, so the
	// other side never learns this machine's address (also a setting).
	AlwaysRelay bool
	Logger      *slog.Logger
	// Version is shown in the Settings tab.
	Version string
	// AutoSignIn signs in at start when the form is complete.
	AutoSignIn bool
	// OnReady, if set, runs on the UI thread once the window is up.
	OnReady func(w fyne.Window)
	// Context, if set, closes the app when it ends (Ctrl-C in a terminal).
	Context context.Context

	// DeviceID overrides the remembered device ID (several instances of
	// the app on one machine and account would otherwise replace each other).
	DeviceID string
	// LoopbackOnly gathers ICE candidates on loopback only: for calls
	// between processes on one machine (tests, smoke runs).
	LoopbackOnly bool
	// AutoCall places a video call to this account once signed in (QA,
	// smoke runs). It retries for a while when the account is offline.
	AutoCall string
	// ScreenshotPath, with AutoCall, saves the window as a PNG once the
	// remote video has shown for MeasureFor, writes the figures measured in
	// that time next to it (same name, .json) and quits.
	ScreenshotPath string
	// MeasureFor is how long a smoke run measures the call (default 5 s).
	// A CPU profile of that time is written next to the screenshot (.pprof),
	// and the app stays up SmokeLinger after the report so that a
	// screenshot can be taken from outside.
	MeasureFor time.Duration

	// Host is the built-in server, which the user may host for the LAN;
	// nil when the app was started for another server.
	Host Hosting
	// RecordDir is where the call screen's Record saves calls; empty: a
	// recordings folder in Fyne's storage for the app.
	RecordDir string
	// LogPath is the app's log file, whose last lines go into diagnostics.
	LogPath string

	// devices lists and opens the media devices; nil: this machine's.
	// Tests set it to stand in a machine without devices.
	devices deviceSource
}

// appID is the application ID: it names the preferences file.
const appID = "dev.duet.app"

// defaultServerURL is where `duet serve` listens by default.
const defaultServerURL = "ws://127.0.0.1:7600/ws"
