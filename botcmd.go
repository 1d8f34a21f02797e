package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"duet/call"
	"duet/call/bot"
	"duet/call/proto"
	"duet/devices"
)

func runBot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: duet bot [flags]

Without --call the bot stays signed in and answers calls as --answer says.
With --call it places --calls calls to that account, one after the other,
prints how each went and a summary on stdout, and exits with the status of
the first call that did not complete:

`+bot.ExitStatusTable+`
Flags:
`)
		fs.PrintDefaults()
	}
	var cfg bot.Config
	fs.StringVar(&cfg.ServerURL, "server", "ws://127.0.0.1:7600/ws", "signaling server: wss://HOST:PORT/ws, ws://… without TLS, or HOST:PORT for wss://HOST:PORT/ws (ws:// on loopback)")
	ca := fs.String("ca", "", "also trust the certificates in this PEM file for wss:// (a development server's cert.pem)")
	fs.StringVar(&cfg.Account, "account", "bot", "account to sign in as")
	fs.StringVar(&cfg.Token, "token", "", "the account's token (not needed on an --open server)")
	answer := fs.String("answer", "accept", "what to do with incoming calls: accept, reject, busy or never")
	fs.DurationVar(&cfg.After, "after", 0, "let incoming calls ring this long before answering")
	fs.DurationVar(&cfg.HangupAfter, "hangup-after", 0, "hang up answered calls after this long (0: never)")
	fs.StringVar(&cfg.Call, "call", "", "call this account, --calls times, then exit with a status saying how the calls went")
	fs.DurationVar(&cfg.NoAnswerTimeout, "no-answer-timeout", 30*time.Second, "with --call: give up on a call nobody answers after this long")
	fs.IntVar(&cfg.Calls, "calls", 1, "with --call: how many calls to place in a row")
	fs.StringVar(&cfg.RecordDir, "record", "", "record what each call receives into this directory: CID.ivf (VP8) and CID.ogg (Opus)")
	typ := fs.String("type", "video", "type of the call placed with --call: audio or video")
	fs.Float64Var(&cfg.ToneHz, "tone", 440, "frequency of the synthetic microphone's tone, Hz")
	pattern := fs.String("pattern", "scene", "synthetic camera: scene (detailed and moving, costs the encoder what a webcam does) or bars (flat test pattern)")
	fs.StringVar(&cfg.VideoFile, "video", "", "send this .y4m file (8-bit 4:2:0), looped, instead of the synthetic camera")
	fs.StringVar(&cfg.AudioFile, "audio", "", "send this .wav file (16-bit PCM), looped, instead of the synthetic tone")
	aec := fs.Bool("aec", false, "run the audio sent through echo cancellation (the played-out reference is the received audio)")
	ns := fs.Bool("ns", false, "run the audio sent through noise suppression")
	fs.BoolVar(&cfg.RelayOnly, "always-relay", false, "send media only through the server's TURN relay, hiding this machine's address from the peer")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := clientTLS(&cfg.ServerURL, &cfg.RootCAs, *ca); err != nil {
		return err
	}
	switch *pattern {
	case "scene":
		cfg.CameraID = devices.SyntheticSceneCameraID
	case "bars":
		cfg.CameraID = devices.SyntheticCameraID
	default:
		return fmt.Errorf("unknown pattern %q: want scene or bars", *pattern)
	}
	if *aec || *ns {
		cfg.Processing = devices.AudioProcessing{Set: true, EchoCancel: *aec, NoiseSuppress: *ns}
	}
	if err := devices.CheckMediaFiles(cfg.VideoFile, cfg.AudioFile); err != nil {
		return err
	}
	a, err := bot.ParseAnswer(*answer)
	if err != nil {
		return err
	}
	cfg.Answer = a
	switch *typ {
	case "audio":
		cfg.CallType = proto.CallTypeAudio
	case "video":
		cfg.CallType = proto.CallTypeVideo
	default:
		return fmt.Errorf("unknown call type %q: want audio or video", *typ)
	}
	cfg.LoopbackOnly = isLoopbackURL(cfg.ServerURL)
	cfg.Logger = newLogger(stderr, *verbose)
	if cfg.Call == "" {
		return bot.Run(ctx, cfg)
	}
	if cfg.Calls < 1 {
		return fmt.Errorf("--calls %d: want at least 1", cfg.Calls)
	}
	sum, err := bot.PlaceCalls(ctx, cfg)
	if err != nil {
		return err
	}
	sum.Write(stdout)
	if st := sum.ExitStatus(); st != 0 {
		return exitError{status: st, err: fmt.Errorf("%d of %d calls did not complete", sum.Failed(), len(sum.Calls))}
	}
	return nil
}

// exitError ends the command with its own exit status.
type exitError struct {
	status int
	err    error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// exitStatus is the status the command exits with for err.
func exitStatus(err error) int {
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.status
	}
	return 1
}

// clientTLS completes a --server argument into a URL (a bare host:port
// means wss://) and loads the --ca file, if any.
func clientTLS(server *string, roots **x509.CertPool, caFile string) error {
	if *server != "" {
		u, err := call.ServerURL(*server)
		if err != nil {
			return fmt.Errorf("--server: %w", err)
		}
		*server = u
	}
	if caFile == "" {
		return nil
	}
	pool, err := call.LoadCA(caFile)
	if err != nil {
		return fmt.Errorf("--ca: %w", err)
	}
	*roots = pool
	return nil
}

// isLoopbackURL reports whether the server is on this machine: its peers
// are then too, and ICE is kept to the loopback interface.
func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
