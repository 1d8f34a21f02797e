package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/media/jitter"
	"duet/call/proto"
	"duet/devices"
)

// Signaler carries relay messages to the peer; *call.Client is one.
type Signaler interface {
	Relay(ctx context.Context, kind string, payload any) error
}

// Config describes one call's media.
type Config struct {
	Signal Signaler
	// Type decides the transceivers: an audio call carries no video.
	Type       proto.CallType
	ICEServers []proto.ICEServer
	// Capture is the local camera and microphone; the session owns it from
	// Start on and closes it after the peer connection. Nil receives only.
	Capture *devices.Capture
	// Playback plays received audio on SpeakerID ("" = default speaker).
	// A speaker that cannot open is a warning: the call goes on silent.
	Playback  bool
	SpeakerID string
	// LoopbackOnly gathers ICE candidates on the loopback interface only:
	// for tests and for calls between processes on one machine.
	LoopbackOnly bool
	// RelayOnly uses TURN relay candidates only, hiding this host's addresses.
	RelayOnly bool
	// Echo sends the peer's own audio and video back instead of a capture:
	// the echo test that proves a user's camera, microphone and speaker.
	Echo bool
	// OnFrame, if set, sees every decoded remote frame on the receiving
	// goroutine (the bot checks frame order with it); it must not block.
	OnFrame func(Frame)
	Logger  *slog.Logger
	// ICE tunes how a lost media path is noticed and restored; zero
	// values take the defaults.
	ICE ICEConfig
	// Net, for tests and simulations, replaces the host's network with a
	// virtual one (pion's vnet); LoopbackOnly is then ignored. Nil uses the
	// real network.
	Net transport.Net
}

// Session is one call's peer connection and media pipelines. Its methods are
// safe for concurrent use. One goroutine owns the negotiation state; Pion
// callbacks and the application only post to it. The owner must call Close,
// whatever way the call ended.
type Session struct {
	cfg     Config
	log     *slog.Logger
	pc      *webrtc.PeerConnection
	capture *devices.Capture
	video   FrameSlot
	events  chan Event

	inbox  *mailbox[func()]
	outbox *mailbox[relayMessage]
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	owned  chan struct{}  // closed when the owner goroutine has returned
	wg     sync.WaitGroup // the owner, the relay sender and the receivers
	path   *sendPath      // the estimate and the pacer

	offersQueued atomic.Int64 // offers not yet through the signaler, sent or failed

	counters counters
	echoes   *echoTracks                   // set in echo sessions
	senders  []*sender                     // guarded by mu: what the capture sends; video may join mid-call (upgrade.go)
	alloc    *allocator                    // shares the estimate among the senders
	recent   pcmWindow                     // the last received audio, for level and frequency
	freezes  freezeDetector                // of the remote video
	jitter   atomic.Pointer[jitter.Buffer] // the remote audio's, while it is received
	playback *devices.Playback             // guarded by mu: nil when not playing
	rec      atomic.Pointer[recorder]      // while this side records the call
	videoPLI atomic.Pointer[pliLimiter]    // the remote video's, while it is received
	// speakerSwitched wakes watchSpeaker to watch the playback a switch
	// opened; capacity 1.
	speakerSwitched chan struct{}

	// Owned by the owner goroutine.
	pendingCandidates []webrtc.ICECandidateInit
	remoteSet         bool
	lastStats         statsSample
	quality           qualityMeter
	role              role
	restart           restartState
	localCands        []webrtc.ICECandidateInit // this ICE generation's, to send again
	upgrade           upgradeState
	sharing           bool // a screen share is starting or on

	// startedAudio: the session began sending no video (an audio call, an
	// audio-only answer, a camera that did not open); its camera turns
	// video on by renegotiation. Set in Start.
	startedAudio bool

	mu       sync.Mutex
	local    mediaState // guarded by mu
	peer     mediaState // guarded by mu
	stats    Stats      // guarded by mu
	warnings []error    // guarded by mu
	closed   bool       // guarded by mu
	// peerRecording: the peer said it records the call. Guarded by mu.
	peerRecording bool
	// cameraAfterShare: the camera's state once a screen share ends, as
	// it was when sharing began or as SetCamera asked since. Guarded by mu.
	cameraAfterShare bool

	closeOnce sync.Once
}

type mediaState struct {
	Audio bool `json:"audio"`
	Video bool `json:"video"`
	// Screen: the video is a shared screen, not the camera.
	Screen bool `json:"screen,omitempty"`
	// Ask asks the peer to announce its own state back: a side whose
	// signaling came back may have missed changes the peer made meanwhile.
	Ask bool `json:"ask,omitempty"`
}

type relayMessage struct {
	kind    string
	payload any
}

// Start creates the peer connection and adds the local tracks. Negotiation
// begins when the room events arrive through Handle.
func Start(cfg Config) (*Session, error) {
	if cfg.Signal == nil {
		return nil, errors.New("start media: no signaler")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pc, path, err := newPeerConnection(cfg)
	if err != nil {
		if cfg.Capture != nil {
			cfg.Capture.Close()
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{cfg: cfg, log: cfg.Logger, pc: pc, path: path, capture: cfg.Capture, events: make(chan Event, 64),
		inbox: newMailbox[func()](), outbox: newMailbox[relayMessage](), ctx: ctx, cancel: cancel, owned: make(chan struct{})}
	s.speakerSwitched = make(chan struct{}, 1)
	s.restart.cfg = cfg.ICE.withDefaults()
	s.restart.timer = time.NewTimer(time.Hour)
	s.restart.timer.Stop()
	if err := s.addTransceivers(); err != nil {
		close(s.owned) // the owner never started
		s.Close()
		return nil, err
	}
	s.alloc = newAllocator(s.sender(webrtc.RTPCodecTypeAudio), s.sender(webrtc.RTPCodecTypeVideo), path.pacer.resentRate)
	if e := path.bwe.Load(); e != nil {
		e.OnTargetBitrateChange(func(bps int) { s.alloc.apply(bps, time.Now()) })
	}
	s.alloc.apply(path.target(), time.Now())
	if cfg.Playback {
		s.openPlayback()
		s.wg.Add(1)
		go s.watchSpeaker()
	}
	s.reportFallbacks()
	s.hookPeerConnection()
	s.wg.Add(2)
	go s.own()
	go s.sendRelays()
	return s, nil
}

// startSender puts a sender bound to rtp on the send path and starts its
// goroutines: video is held while the path is congested.
func (s *Session) startSender(snd *sender, rtp *webrtc.RTPSender) {
	if snd.video != nil {
		snd.video.SetHold(s.path.congested)
	}
	s.mu.Lock()
	s.senders = append(s.senders, snd)
	s.mu.Unlock()
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		snd.pump()
	}()
	go func() {
		defer s.wg.Done()
		snd.readRTCP(rtp)
	}()
}

// addTransceivers sends what the capture has and receives what the call
// type allows, so a side without a camera still sees the peer.
func (s *Session) addTransceivers() error {
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio}
	if s.cfg.Type == proto.CallTypeVideo {
		kinds = append(kinds, webrtc.RTPCodecTypeVideo)
	}
	if s.cfg.Echo {
		return s.addEchoTransceivers(kinds)
	}
	for _, kind := range kinds {
		var snd *sender
		if s.capture != nil {
			var err error
			if snd, err = newSender(s.capture, kind); err != nil {
				return fmt.Errorf("add %s sender: %w", kind, err)
			}
		}
		if snd == nil {
			if _, err := s.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return fmt.Errorf("add %s receiver: %w", kind, err)
			}
			continue
		}
		tr, err := s.pc.AddTransceiverFromTrack(snd.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			snd.enc.Close()
			return fmt.Errorf("add %s track: %w", kind, err)
		}
		s.startSender(snd, tr.Sender())
	}
	s.local = mediaState{Audio: s.sender(webrtc.RTPCodecTypeAudio) != nil, Video: s.sender(webrtc.RTPCodecTypeVideo) != nil}
	s.startedAudio = !s.local.Video
	return nil
}

// sender returns the sender of kind, or nil when this side does not send it.
func (s *Session) sender(kind webrtc.RTPCodecType) *sender {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, snd := range s.senders {
		if snd.kind == kind {
			return snd
		}
	}
	return nil
}

func (s *Session) addEchoTransceivers(kinds []webrtc.RTPCodecType) error {
	echoes, err := newEchoTracks(s.cfg.Type)
	if err != nil {
		return err
	}
	s.echoes = echoes
	for _, kind := range kinds {
		tr, err := s.pc.AddTransceiverFromTrack(echoes.track(kind), webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return fmt.Errorf("add echo %s track: %w", kind, err)
		}
		if kind == webrtc.RTPCodecTypeVideo {
			s.wg.Add(1)
			go s.relayKeyFrameRequests(tr.Sender())
		}
	}
	s.local = mediaState{Audio: true, Video: s.cfg.Type == proto.CallTypeVideo}
	return nil
}

func (s *Session) openPlayback() {
	pb, err := devices.OpenPlaybackFrom(s.cfg.SpeakerID, audioRate, audioChannels, s.playout, s.log)
	if err != nil {
		s.log.Warn("no audio playback; the call goes on without sound", "err", err)
		s.warn(err)
		return
	}
	s.mu.Lock()
	s.playback = pb
	s.mu.Unlock()
}

func (s *Session) warn(err error) {
	s.mu.Lock()
	s.warnings = append(s.warnings, err)
	s.mu.Unlock()
}

// Warnings lists what did not work but did not stop the call (no speaker,
// no camera).
func (s *Session) Warnings() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]error(nil), s.warnings...)
	if s.capture != nil {
		out = append(out, s.capture.Warnings()...)
	}
	return out
}

// Events delivers connection, peer-media, first-frame, stats and device
// fallback events.
// Events are dropped, never queued without bound, when nobody reads.
func (s *Session) Events() <-chan Event { return s.events }

// emit never blocks: Pion callbacks call it.
func (s *Session) emit(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.events <- ev:
	default:
		s.log.Debug("media event dropped: nobody reading", "event", ev)
	}
}

// RemoteVideo is the newest decoded frame of the peer's video.
func (s *Session) RemoteVideo() *FrameSlot { return &s.video }

// Capture is the local capture (for a preview); nil when receive-only.
func (s *Session) Capture() *devices.Capture { return s.capture }

// Handle passes a signaling event of this call to the session: syncDone,
// clientJoin and relay events drive negotiation. Others are ignored.
func (s *Session) Handle(ev call.Event) {
	s.post(func() { s.handle(ev) })
}

func (s *Session) post(f func()) { s.inbox.put(f) }

// own runs posted work, ICE restarts and stats sampling until Close.
func (s *Session) own() {
	defer s.wg.Done()
	defer close(s.owned)
	defer s.restart.timer.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.inbox.Ready():
			for _, f := range s.inbox.take() {
				if s.ctx.Err() != nil {
					return
				}
				f()
			}
		case <-s.restart.timer.C:
			s.restartTimerFired()
		case <-tick.C:
			s.sampleStats()
		case <-s.ctx.Done():
			return
		}
	}
}

// sendRelays sends relay messages one at a time, in order: an answer never
// overtakes its offer, nor a candidate its description.
func (s *Session) sendRelays() {
	defer s.wg.Done()
	for {
		select {
		case <-s.outbox.Ready():
			for _, m := range s.outbox.take() {
				ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
				// Waiting out a refusal holds back the later messages too,
				// which keeps them in order.
				err := call.WaitRateLimited(ctx, func() error { return s.cfg.Signal.Relay(ctx, m.kind, m.payload) })
				cancel()
				if m.kind == "offer" {
					s.offersQueued.Add(-1)
				}
				// Signaling may be down for a while: what matters is resent
				// (restart offers, candidates) once it is back.
				if err != nil && s.ctx.Err() == nil {
					s.log.Warn("relay to peer failed", "kind", m.kind, "err", err)
				}
			}
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *Session) relay(kind string, payload any) {
	if kind == "offer" {
		s.offersQueued.Add(1)
	}
	s.outbox.put(relayMessage{kind, payload})
}

// SetMicrophone mutes or unmutes without renegotiation; the peer is told.
func (s *Session) SetMicrophone(on bool) { s.setLocal(func(m *mediaState) { m.Audio = on }) }

// SetCamera turns the camera on or off; the peer is told. In a session that
// began with video, off sends black frames on the same track. In one that
// began without (see startedAudio), on opens the camera and makes the call
// a video call by renegotiation, and off releases the camera and stops
// sending (see upgrade.go); a camera that cannot open is reported as
// CameraFailed. It never blocks.
func (s *Session) SetCamera(on bool) {
	s.mu.Lock()
	sharing := s.local.Screen
	if sharing {
		s.cameraAfterShare = on // the screen stays until sharing stops
	}
	s.mu.Unlock()
	if sharing {
		return
	}
	if s.startedAudio {
		s.post(func() { s.setUpgradedCamera(on) })
		return
	}
	s.setLocal(func(m *mediaState) { m.Video = on })
}

func (s *Session) setLocal(change func(*mediaState)) {
	s.mu.Lock()
	change(&s.local)
	state := s.local
	s.mu.Unlock()
	if s.capture != nil {
		s.capture.SetAudioEnabled(state.Audio)
		s.capture.SetVideoEnabled(state.Video)
	}
	s.relay("media", state)
}

// ResyncMedia tells the peer our microphone and camera state and asks for
// its own, for after signaling was down: a change either side made then was
// lost with its relay. A peer that is still reconnecting misses this one
// and asks in turn when it is back.
func (s *Session) ResyncMedia() {
	s.mu.Lock()
	state := s.local
	s.mu.Unlock()
	state.Ask = true
	s.relay("media", state)
	// A renegotiation offer lost with signaling would leave the camera's
	// video unnegotiated for good.
	s.post(s.resendRenegotiation)
}

// LocalMedia reports whether our microphone and camera are on.
func (s *Session) LocalMedia() (audio, video bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.local.Audio, s.local.Video
}

// PeerScreen reports whether the peer said its video is a shared screen.
func (s *Session) PeerScreen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer.Screen
}

// Sharing reports whether this side shares its screen.
func (s *Session) Sharing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.local.Screen
}

// PeerMedia reports the peer's last announced microphone and camera state.
func (s *Session) PeerMedia() (audio, video bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer.Audio, s.peer.Video
}

// Close ends the call's media in the one safe order: stop the owner, close
// the peer connection (which ends the receivers), close the capture (which
// ends the senders' encoders), wait for the goroutines, then close
// playback. It is idempotent and safe from any goroutine but the session's
// own callbacks.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		// Pion's Close races with a GetStats under way: the owner samples
		// stats, so it stops first.
		<-s.owned
		if err := s.pc.Close(); err != nil {
			s.log.Debug("close peer connection", "err", err)
		}
		if s.capture != nil {
			s.capture.Close()
		}
		s.wg.Wait()
		// The receivers are done: the recording has all it will get.
		if r := s.rec.Swap(nil); r != nil {
			s.logRecording(r.stop())
		}
		s.mu.Lock()
		pb := s.playback
		s.mu.Unlock()
		if pb != nil {
			pb.Close()
		}
		close(s.events)
	})
	return nil
}
