// Package phone ties a signaling client to per-call media: it answers and
// places calls, starts a media session when a call is answered, feeds it
// the room's events and tears it down however the call ends. The desktop
// app and the bot are both built on it.
package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/transport/v5"

	"duet/call"
	"duet/call/internal/fifo"
	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
)

// OpenCapture opens the local camera and microphone for a call of type typ.
// It may return a capture with warnings (no camera) or an error (nothing
// opened): the call then goes on receive-only.
type OpenCapture func(ctx context.Context, typ proto.CallType) (*devices.Capture, error)

// Config holds a Phone's parts.
type Config struct {
	Client       *call.Client
	OpenCapture  OpenCapture // nil: receive only
	Playback     bool
	SpeakerID    string
	LoopbackOnly bool
	RelayOnly    bool              // through the server's TURN relay only; see SetRelayOnly
	OnFrame      func(media.Frame) // see media.Config.OnFrame
	Echo         bool              // send callers their own media back (see media.Config.Echo)
	// RecordDir, when set, records every call from its first packet, as
	// CID.ivf and CID.ogg there (see media.Session.StartRecording).
	RecordDir string
	Logger    *slog.Logger
	// Net, for tests and simulations, carries the media over a virtual
	// network (see media.Config.Net); nil uses the host's.
	Net transport.Net

	// LoopbackOnlyFunc, if set, decides LoopbackOnly afresh for each call:
	// the desktop app changes it while signed in when it starts hosting.
	LoopbackOnlyFunc func() bool
}

// MediaStarted tells the application a call's media session exists (to show
// its video); MediaEnded that it is gone.
type MediaStarted struct {
	CID     string
	Session *media.Session
}

// MediaEnded follows every MediaStarted.
type MediaEnded struct{ CID string }

// StaleCallEnded: the client signed in to a call the server kept for this
// device from an earlier run (it quit or crashed mid-call). That run's
// media is gone and left alone the call would keep the account busy, so
// the phone hung it up.
type StaleCallEnded struct{ CID, Peer string }

func (MediaStarted) EventType() string   { return "mediaStarted" }
func (MediaEnded) EventType() string     { return "mediaEnded" }
func (StaleCallEnded) EventType() string { return "staleCallEnded" }

// Phone is safe for concurrent use. Events must be read; the owner must call Close.
type Phone struct {
	cfg    Config
	log    *slog.Logger
	events *fifo.Queue[call.Event]
	done   chan struct{}
	joins  sync.WaitGroup // joining rooms of accepted calls; ending a stale one

	mu        sync.Mutex
	session   *media.Session // guarded by mu: the current call's media
	cid       string         // guarded by mu: the call session belongs to
	relayOnly bool           // guarded by mu: for the next call
	speakerID string         // guarded by mu: for the next call
}

// New starts forwarding the client's events.
func New(cfg Config) *Phone {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Phone{cfg: cfg, log: cfg.Logger, events: fifo.New[call.Event](), done: make(chan struct{}),
		relayOnly: cfg.RelayOnly, speakerID: cfg.SpeakerID}
	go p.run()
	if cur := cfg.Client.Current(); cur.Phase != call.PhaseIdle {
		p.joins.Add(1)
		go p.endStaleCall(cur)
	}
	return p
}

// endStaleCall hangs up the call the client found at sign-in: a new phone
// has no media for it.
func (p *Phone) endStaleCall(cur call.CallInfo) {
	defer p.joins.Done()
	p.log.Info("ending the call left open by an earlier run", "cid", cur.CID, "peer", cur.Peer)
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	if err := p.cfg.Client.Hangup(ctx); err != nil {
		p.log.Warn("end the call left open", "cid", cur.CID, "err", err)
		return
	}
	p.events.Push(&StaleCallEnded{CID: cur.CID, Peer: cur.Peer})
}

// Client is the signaling client.
func (p *Phone) Client() *call.Client { return p.cfg.Client }

// Events delivers every signaling event plus MediaStarted and MediaEnded, in
// order. It is closed when the client's connection ends.
func (p *Phone) Events() <-chan call.Event { return p.events.C() }

// Media is the current call's media session, or nil.
func (p *Phone) Media() *media.Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.session
}

func (p *Phone) run() {
	defer close(p.done)
	for ev := range p.cfg.Client.Events() {
		// The event first: the application sees the hangup, then MediaEnded.
		p.events.Push(ev)
		p.route(ev)
	}
	p.endMedia()
	p.events.Finish()
}

// route feeds the media session and ends it when the call ends.
func (p *Phone) route(ev call.Event) {
	switch e := ev.(type) {
	case *proto.CallAccepted:
		p.joins.Add(1)
		go p.join(e.CID, e.Type)
	case *proto.SyncDone:
		if s := p.Media(); s != nil {
			// The startRtc reply that precedes syncDone may carry fresh
			// TURN credentials; they must be in place before negotiation.
			s.SetICEServers(p.cfg.Client.ICEServers())
			s.Handle(ev)
		}
	case *proto.ClientJoin, *proto.RelayEvent:
		if s := p.Media(); s != nil {
			s.Handle(ev)
		}
	case *proto.HangupEvent:
		p.endMediaOf(e.CID)
	case *proto.CallRejected:
		p.endMediaOf(e.CID)
	case *call.NoAnswer:
		p.endMediaOf(e.CID)
	case *call.Reconnected:
		// A media path that broke while signaling was down could not
		// negotiate its ICE restart; it can now (a working path is left
		// alone). Mute and camera changes made meanwhile were lost too.
		if a := e.ActiveCall; a != nil && a.Answered {
			p.mu.Lock()
			s := p.session
			mine := p.cid == a.CID
			p.mu.Unlock()
			if s != nil && mine {
				s.RestartICE()
				s.ResyncMedia()
			}
		}
	case *call.Disconnected:
		p.endMedia()
	}
}

// Call places a call; media starts when it is accepted.
func (p *Phone) Call(ctx context.Context, callee string, typ proto.CallType, opts call.CallOptions) (string, error) {
	if err := p.checkRelay(); err != nil {
		return "", fmt.Errorf("call %s: %w", callee, err)
	}
	var cid string
	err := call.WaitRateLimited(ctx, func() (err error) {
		cid, err = p.cfg.Client.Call(ctx, callee, typ, opts)
		return err
	})
	return cid, err
}

// Accept answers the ringing call cid. mode is the call's type or, for a
// video call, audio to answer without the camera. A relay-only phone on a
// server without TURN declines the call and returns ErrNoRelay.
func (p *Phone) Accept(ctx context.Context, cid string, mode proto.CallType) error {
	if err := p.checkRelay(); err != nil {
		// Declined, the caller hears at once that the call cannot be
		// carried instead of ringing on.
		if rerr := p.cfg.Client.Response(ctx, cid, false); rerr != nil {
			p.log.Warn("decline call that cannot be relayed", "cid", cid, "err", rerr)
		}
		return fmt.Errorf("answer call %s: %w", cid, err)
	}
	if err := call.WaitRateLimited(ctx, func() error { return p.cfg.Client.Response(ctx, cid, true) }); err != nil {
		return err
	}
	p.startMediaAndJoin(ctx, cid, mode)
	return nil
}

// Reject declines the ringing call cid.
func (p *Phone) Reject(ctx context.Context, cid string) error {
	return p.cfg.Client.Response(ctx, cid, false)
}

// RejectBusy declines the ringing call cid as busy.
func (p *Phone) RejectBusy(ctx context.Context, cid string) error {
	return p.cfg.Client.RejectBusy(ctx, cid)
}

// Hangup ends, cancels or rejects the current call and its media.
func (p *Phone) Hangup(ctx context.Context) error {
	err := p.cfg.Client.Hangup(ctx)
	p.endMedia()
	return err
}

// join starts media for an outgoing call the callee accepted.
func (p *Phone) join(cid string, typ proto.CallType) {
	defer p.joins.Done()
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	p.startMediaAndJoin(ctx, cid, typ)
}

func (p *Phone) startMediaAndJoin(ctx context.Context, cid string, mode proto.CallType) {
	if err := p.startMedia(ctx, cid, mode); err != nil {
		p.log.Error("media did not start; hanging up", "cid", cid, "err", err)
		p.cfg.Client.Hangup(ctx)
		return
	}
	err := call.WaitRateLimited(ctx, func() error {
		_, err := p.cfg.Client.StartRTC(ctx, mode)
		return err
	})
	switch {
	case errors.Is(err, call.ErrNoCall):
		p.log.Info("the call ended before its room was joined", "cid", cid)
		p.endMediaOf(cid)
	case err != nil:
		// Without joining the room the call can carry nothing: end it
		// rather than leave the peer waiting in it.
		p.log.Error("join room failed; hanging up", "cid", cid, "err", err)
		p.endMediaOf(cid)
		p.cfg.Client.Hangup(ctx)
	}
}

func (p *Phone) startMedia(ctx context.Context, cid string, typ proto.CallType) error {
	if err := p.checkRelay(); err != nil {
		return err
	}
	var capture *devices.Capture
	if p.cfg.OpenCapture != nil && !p.cfg.Echo {
		c, err := p.cfg.OpenCapture(ctx, typ)
		if err != nil {
			p.log.Warn("no camera or microphone; receiving only", "err", err)
		} else {
			capture = c
		}
	}
	relayOnly := p.RelayOnly()
	var signal media.Signaler = p.cfg.Client
	if relayOnly {
		signal = hideAddresses{signal}
	}
	s, err := media.Start(media.Config{Signal: signal, Type: typ, ICEServers: p.cfg.Client.ICEServers(),
		Capture: capture, Playback: p.cfg.Playback, SpeakerID: p.speaker(),
		LoopbackOnly: p.loopbackOnly(), RelayOnly: relayOnly, OnFrame: p.cfg.OnFrame, Echo: p.cfg.Echo, Logger: p.log.With("cid", cid),
		Net: p.cfg.Net})
	if err != nil {
		return fmt.Errorf("start media: %w", err)
	}
	if p.cfg.RecordDir != "" {
		// Before the room is joined, so nothing received is missed.
		if err := s.StartRecording(p.cfg.RecordDir, cid); err != nil {
			p.log.Warn("cannot record the call; it goes on unrecorded", "cid", cid, "err", err)
		}
	}
	p.mu.Lock()
	old := p.session
	p.session, p.cid = s, cid
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
	p.events.Push(&MediaStarted{CID: cid, Session: s})
	return nil
}

func (p *Phone) loopbackOnly() bool {
	if p.cfg.LoopbackOnlyFunc != nil {
		return p.cfg.LoopbackOnlyFunc()
	}
	return p.cfg.LoopbackOnly
}

func (p *Phone) endMediaOf(cid string) {
	p.mu.Lock()
	mine := p.cid == cid
	p.mu.Unlock()
	if mine {
		p.endMedia()
	}
}

// endMedia is the one teardown path: whatever ended the call.
func (p *Phone) endMedia() {
	p.mu.Lock()
	s, cid := p.session, p.cid
	p.session, p.cid = nil, ""
	p.mu.Unlock()
	if s == nil {
		return
	}
	s.Close()
	p.events.Push(&MediaEnded{CID: cid})
}

// Close ends the client, then the media: a join still under way fails
// with the closed client, and whatever session it made is ended here.
func (p *Phone) Close() error {
	err := p.cfg.Client.Close()
	<-p.done
	p.joins.Wait()
	p.endMedia()
	p.events.Stop()
	return err
}

// joinTimeout bounds opening devices and joining the room.
const joinTimeout = 15 * time.Second
