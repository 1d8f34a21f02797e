// Package bot is Duet's headless test client: it signs in, answers as told,
// sends synthetic audio and video, and logs what it receives, so one tester
// can exercise every path of a call.
package bot

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// Config says how the bot behaves.
type Config struct {
	ServerURL string
	Account   string
	Token     string
	Answer    Answer
	// After is how long incoming calls ring before the bot answers.
	After time.Duration
	// HangupAfter ends answered calls after this long; 0 keeps them up.
	HangupAfter time.Duration
	// Call, when set, is called once signed in, with CallType (by Run;
	// PlaceCalls calls it Calls times and stops).
	Call     string
	CallType proto.CallType
	ToneHz   float64
	// CameraID is the synthetic camera sent: devices.SyntheticSceneCameraID
	// (the default when empty) or devices.SyntheticCameraID.
	CameraID string
	// VideoFile and AudioFile, when set, are sent instead of the synthetic
	// camera and tone (see devices.CaptureConfig).
	VideoFile, AudioFile string
	// Processing is done to the audio sent; unset, none (the synthetic and
	// file sources are clean).
	Processing devices.AudioProcessing
	// LoopbackOnly keeps ICE on loopback (server and peer on this machine).
	LoopbackOnly bool
	// LoopbackOnlyFunc, if set, decides LoopbackOnly afresh for each call.
	LoopbackOnlyFunc func() bool
	// RelayOnly sends media through the server's TURN relay only.
	RelayOnly bool
	// Echo sends callers their own audio and video back instead of the
	// synthetic sources.
	Echo bool
	// NoAnswerTimeout gives up on a placed call nobody answers (the
	// client's default when 0).
	NoAnswerTimeout time.Duration
	// RecordDir, when set, records what every call receives there, as
	// CID.ivf (VP8) and CID.ogg (Opus).
	RecordDir string
	// Calls is how many calls PlaceCalls places in a row; 0 places one.
	Calls int
	// ReportEvery is how often received media is logged.
	ReportEvery time.Duration
	Logger      *slog.Logger

	// RootCAs checks a wss:// server's certificate; nil: the system's roots.
	RootCAs *x509.CertPool
}

// Run signs in and behaves as cfg says until ctx ends, reconnecting with
// backoff when the server goes away. It stops with an error matching
// call.ErrReplaced when another bot signs in as the same account (and so
// the same device).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReportEvery <= 0 {
		cfg.ReportEvery = time.Second
	}
	if cfg.ToneHz == 0 {
		cfg.ToneHz = devices.DefaultToneHz
	}
	log := cfg.Logger.With("bot", cfg.Account)
	placed := false
	backoff := time.Second
	for {
		err := runOnce(ctx, cfg, log, &placed)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, call.ErrReplaced) {
			// Another bot signed in as this one's device: coming back would
			// take its calls and make it do the same.
			log.Error("stopping: another instance signed in as this bot", "device", botDevice(cfg), "err", err)
			return fmt.Errorf("bot %s: another instance signed in as device %s; stop it or run this one as another account: %w",
				cfg.Account, botDevice(cfg), err)
		}
		if errors.Is(err, call.ErrUnauthorized) || errors.Is(err, call.ErrCertificate) || errors.Is(err, call.ErrTLSMismatch) {
			return err // retrying cannot help
		}
		log.Warn("signaling lost; reconnecting", "err", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// botDevice is the device ID a bot signs in with: one per account, so a
// second bot of the same account replaces the first.
func botDevice(cfg Config) string { return "bot-" + cfg.Account }

// runOnce is one signed-in session; it returns when the connection ends.
func runOnce(ctx context.Context, cfg Config, log *slog.Logger, placed *bool) error {
	b := &bot{cfg: cfg, log: log}
	var err error
	if b.phone, err = cfg.dial(ctx, log, b.frames.add); err != nil {
		return err
	}
	defer b.wait()
	defer b.phone.Close()
	log.Info("signed in", "server", cfg.ServerURL, "answer", cfg.Answer)
	if cfg.Call != "" && !*placed {
		*placed = true
		b.place(ctx)
	}
	for {
		select {
		case ev, ok := <-b.phone.Events():
			if !ok {
				return b.phone.Client().Err()
			}
			b.handle(ctx, ev)
		case <-ctx.Done():
			b.phone.Hangup(context.Background())
			return nil
		}
	}
}

// dial signs in and makes the bot's phone, which the caller must close.
func (cfg Config) dial(ctx context.Context, log *slog.Logger, onFrame func(media.Frame)) (*phone.Phone, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	client, err := call.Dial(dctx, call.Config{ServerURL: cfg.ServerURL, RootCAs: cfg.RootCAs, Account: cfg.Account, Token: cfg.Token,
		ClientType: proto.ClientBot, DeviceID: botDevice(cfg), Logger: cfg.Logger, NoAnswerTimeout: cfg.NoAnswerTimeout,
		// Calls in progress survive a lost connection or a server restart.
		Reconnect: true})
	cancel()
	if err != nil {
		return nil, err
	}
	if cfg.RecordDir != "" {
		log.Info("recording calls", "dir", cfg.RecordDir)
	}
	return phone.New(phone.Config{Client: client, LoopbackOnly: cfg.LoopbackOnly, LoopbackOnlyFunc: cfg.LoopbackOnlyFunc, RelayOnly: cfg.RelayOnly, OnFrame: onFrame, Echo: cfg.Echo,
		RecordDir: cfg.RecordDir, Logger: cfg.Logger, OpenCapture: func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			camera := cfg.CameraID
			if camera == "" {
				camera = devices.SyntheticSceneCameraID
			}
			return devices.Open(ctx, devices.CaptureConfig{CameraID: camera, MicrophoneID: devices.SyntheticMicrophoneID,
				VideoFile: cfg.VideoFile, AudioFile: cfg.AudioFile, Audio: true,
				Video: typ == proto.CallTypeVideo, ToneHz: cfg.ToneHz, Processing: cfg.Processing, Logger: cfg.Logger})
		}}), nil
}

type bot struct {
	cfg    Config
	log    *slog.Logger
	phone  *phone.Phone
	frames frameLog
	wg     sync.WaitGroup // timers' goroutines: answering, hanging up, reporting
	stop   context.CancelFunc
}

func (b *bot) place(ctx context.Context) {
	typ := b.cfg.CallType
	if typ == proto.CallTypeUnknown {
		typ = proto.CallTypeVideo
	}
	cid, err := b.phone.Call(ctx, b.cfg.Call, typ, call.CallOptions{Custom: "call from bot " + b.cfg.Account})
	if err != nil {
		b.log.Error("call failed", "callee", b.cfg.Call, "err", err)
		return
	}
	b.log.Info("calling", "callee", b.cfg.Call, "type", typ, "cid", cid)
}

func (b *bot) handle(ctx context.Context, ev call.Event) {
	switch e := ev.(type) {
	case *call.Reconnecting:
		b.log.Warn("signaling lost; reconnecting", "err", e.Err)
	case *call.Reconnected:
		b.log.Info("signaling back", "after", e.Downtime.Round(time.Millisecond), "attempts", e.Attempts,
			"resumedCall", e.ActiveCall != nil)
	case *proto.BeCalling:
		b.log.Info("incoming call", "caller", e.Caller, "type", e.Type, "cid", e.CID, "custom", e.Custom)
		b.later(ctx, b.cfg.After, func(ctx context.Context) { b.answer(ctx, e) })
	case *proto.CallAccepted:
		b.log.Info("call accepted", "cid", e.CID)
	case *proto.CallRejected:
		b.log.Info("call rejected", "cid", e.CID, "reason", e.Reason)
	case *call.NoAnswer:
		b.log.Info("no answer", "cid", e.CID)
	case *proto.CallerAckSync:
		b.log.Info("answered on another device", "cid", e.CID, "accepted", e.Accepted)
	case *proto.HangupEvent:
		b.log.Info("hung up", "cid", e.CID, "by", e.Account, "reason", e.Reason)
	case *phone.MediaStarted:
		b.frames.reset()
		b.startReporting(ctx, e.Session)
		if b.cfg.HangupAfter > 0 {
			b.later(ctx, b.cfg.HangupAfter, func(ctx context.Context) {
				if b.phone.Media() == e.Session {
					b.log.Info("hanging up", "after", b.cfg.HangupAfter)
					b.phone.Hangup(ctx)
				}
			})
		}
	case *phone.MediaEnded:
		b.stopReporting()
	case *proto.CallRecordEvent:
		b.log.Info("call record", "cid", e.CID, "status", e.Status, "duration", time.Duration(e.Duration)*time.Millisecond)
	}
}

func (b *bot) answer(ctx context.Context, e *proto.BeCalling) {
	var err error
	switch b.cfg.Answer {
	case AnswerAccept:
		err = b.phone.Accept(ctx, e.CID, e.Type)
	case AnswerReject:
		err = b.phone.Reject(ctx, e.CID)
	case AnswerBusy:
		err = b.phone.RejectBusy(ctx, e.CID)
	default:
		return // never: let it ring
	}
	if err != nil {
		b.log.Warn("answer failed", "cid", e.CID, "answer", b.cfg.Answer, "err", err)
		return
	}
	b.log.Info("answered", "cid", e.CID, "answer", b.cfg.Answer)
}

// later runs f after d on its own goroutine, unless ctx ends first.
func (b *bot) later(ctx context.Context, d time.Duration, f func(context.Context)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		select {
		case <-time.After(d):
			f(ctx)
		case <-ctx.Done():
		}
	}()
}

func (b *bot) startReporting(ctx context.Context, s *media.Session) {
	b.stopReporting()
	rctx, cancel := context.WithCancel(ctx)
	b.stop = cancel
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.report(rctx, s)
	}()
}

func (b *bot) stopReporting() {
	if b.stop != nil {
		b.stop()
		b.stop = nil
	}
}

func (b *bot) wait() {
	b.stopReporting()
	b.wg.Wait()
}

// report logs what the bot receives until ctx ends: a line per stats
// sample the session takes, so no second is logged twice or skipped.
func (b *bot) report(ctx context.Context, s *media.Session) {
	var last time.Time
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				return
			}
			switch e := ev.(type) {
			case media.ConnectionChanged:
				b.log.Info("media connection", "state", e.State)
			case media.PeerMediaChanged:
				b.log.Info("peer media", "audio", e.Audio, "video", e.Video)
			case media.FirstFrame:
				b.log.Info("first remote frame", "size", fmt.Sprintf("%dx%d", e.Width, e.Height))
			case media.StatsUpdated:
				// A slower ReportEvery logs every few samples.
				if now := time.Now(); now.Sub(last) >= b.cfg.ReportEvery-100*time.Millisecond {
					last = now
					b.logStats(e.Stats)
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

// logStats logs one sample: what arrives, what is sent, and how the link
// is doing.
func (b *bot) logStats(st media.Stats) {
	path := fmt.Sprintf("%s/%s", st.LocalCandidate, st.RemoteCandidate)
	if b.cfg.Echo {
		// Echoing forwards packets undecoded: there are no frames or tone
		// to report, only the flow.
		b.log.Info("echoing", "recvKbps", round1(st.RecvKbps), "sendKbps", round1(st.SendKbps),
			"rttMs", st.RTT.Milliseconds(), "lossPct", round1(st.Loss*100), "path", path)
		return
	}
	fr := b.frames.summary()
	b.log.Info("receiving",
		"frames", st.FramesDecoded, "fps", round1(st.FPS), "size", fmt.Sprintf("%dx%d", st.Width, st.Height),
		"decodeErrors", st.DecodeErrors, "outOfOrder", fr.outOfOrder, "glassToGlassMs", fr.latency.Milliseconds(),
		"freezes", st.Freezes, "freezeMs", st.FreezeTime.Milliseconds(),
		"audioDBFS", dbfs(st.AudioDBFS), "audioHz", round1(st.AudioHz),
		"audioConcealedPct", round1(st.AudioConcealedPct), "audioDelayMs", st.AudioDelay.Milliseconds(),
		"recvKbps", round1(st.RecvKbps), "rttMs", st.RTT.Milliseconds(), "lossPct", round1(st.Loss*100))
	b.log.Info("sending",
		"sendKbps", round1(st.SendKbps), "targetKbps", round1(st.TargetKbps), "videoKbps", round1(st.VideoTargetKbps),
		"size", fmt.Sprintf("%dx%d", st.SendWidth, st.SendHeight), "fps", st.SendFPS, "resentPct", round1(st.ResentPct),
		"path", path)
}

// dbfs is a level for the log: digital silence has no finite level.
func dbfs(v float64) any {
	if math.IsInf(v, -1) || v < -200 {
		return "-inf"
	}
	return round1(v)
}

func round1(v float64) float64 { return float64(int64(v*10)) / 10 }
