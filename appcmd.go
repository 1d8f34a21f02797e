package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"duet/call/local"
	"duet/devices"
	"duet/gui"
)

// runApp opens the desktop app. With no --server it starts the embedded
// server on loopback and signs in as the local user, so a first run needs
// no configuration: the Echo test and Test bot contacts answer at once.
func runApp(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("duet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg gui.Config
	fs.StringVar(&cfg.ServerURL, "server", "", "signaling server: wss://HOST:PORT/ws, ws://… without TLS, or HOST:PORT for wss://HOST:PORT/ws (ws:// on loopback)\n"+
		"(empty: the embedded server with Echo test and Test bot)")
	ca := fs.String("ca", "", "also trust the certificates in this PEM file for wss:// (a development server's cert.pem)")
	fs.StringVar(&cfg.Account, "account", "", "account to sign in as")
	fs.StringVar(&cfg.Token, "token", "", "the account's token")
	fs.BoolVar(&cfg.Synthetic, "synthetic", false, "use the test pattern and tone instead of camera and microphone")
	fs.StringVar(&cfg.VideoFile, "video", "", "use this .y4m file (8-bit 4:2:0), looped, instead of the camera")
	fs.StringVar(&cfg.AudioFile, "audio", "", "use this .wav file (16-bit PCM), looped, instead of the microphone")
	fs.StringVar(&cfg.RecordDir, "record-dir", "", "where Record on the call screen saves calls (default: recordings beside the log, ~/.config/duet/recordings)")
	fs.BoolVar(&cfg.AlwaysRelay, "always-relay", false, "send calls only through the server's TURN relay, hiding your address from the other side (saved in Settings)")
	fs.StringVar(&cfg.DeviceID, "device", "", "device ID (to run several windows of one account on one machine)")
	fs.StringVar(&cfg.AutoCall, "call", "", "place a video call to this account once signed in")
	fs.StringVar(&cfg.ScreenshotPath, "screenshot", "", "with --call: save a PNG of the call and the measured figures, then quit")
	fs.DurationVar(&cfg.MeasureFor, "measure", 5*time.Second, "with --screenshot: how long to measure the call")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := clientTLS(&cfg.ServerURL, &cfg.RootCAs, *ca); err != nil {
		return err
	}
	if err := devices.CheckMediaFiles(cfg.VideoFile, cfg.AudioFile); err != nil {
		return err
	}
	dataDir := defaultDataDir()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	cfg.LogPath = filepath.Join(dataDir, "duet.log")
	if cfg.RecordDir == "" {
		cfg.RecordDir = filepath.Join(dataDir, "recordings")
	}
	logFile, err := os.OpenFile(cfg.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer logFile.Close()
	cfg.Logger = newLogger(io.MultiWriter(stderr, logFile), *verbose)
	cfg.Version = appVersion()
	cfg.Context = ctx // Ctrl-C and SIGTERM close the window

	if cfg.ServerURL == "" {
		l, err := local.Start(local.Config{Dir: dataDir, Logger: cfg.Logger})
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.ServerURL, cfg.AutoSignIn, cfg.LoopbackOnly = l.URL(), true, true
		cfg.Host = l // "Host a server on this computer" opens it to the LAN
		if cfg.Account == "" {
			cfg.Account = localAccount()
		}
		cfg.Logger.Info("embedded server", "url", l.URL(), "account", cfg.Account)
	} else if isLoopbackURL(cfg.ServerURL) {
		cfg.LoopbackOnly = true
	}
	if cfg.Account != "" && (cfg.ServerURL != "" || cfg.Token != "") {
		cfg.AutoSignIn = true
	}
	return gui.Run(cfg)
}

// localAccount names the local user as an account: letters, digits and
// ". _ - @" only.
func localAccount() string {
	name := "me"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r) {
			return r
		}
		return -1
	}, name)
	if name == "" || name == local.EchoAccount || name == local.TestBotAccount {
		name = "me"
	}
	return name
}
