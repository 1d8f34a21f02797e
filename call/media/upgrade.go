package media

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// upgradeState is the owner goroutine's view of the camera of a session
// that began without video (Session.startedAudio). Only the owner touches
// it.
//
// The first time the camera turns on, its video track is added to the peer
// connection (on a new video transceiver, or on the receive-only one the
// peer's own upgrade made) and the new send direction is offered to the
// peer on the same relay as the first offer. From then on the track stays
// negotiated: the camera going off releases the device and the encoder
// sends nothing, the camera coming back resumes it with a key frame, and
// neither needs another offer. The peer learns both from the "media"
// relay, which is what makes the two screens show video or not.
type upgradeState struct {
	wanted  bool    // the camera should be on
	opening bool    // a camera is being opened (cameraStarted follows)
	sender  *sender // the camera's, once added; it stays for the call
	// offer is our renegotiation offer, sent and not yet applied: as with
	// a restart offer, Pion cannot roll a local offer back, so it is
	// applied together with its answer, and until then an offer from the
	// peer can still be answered (the polite side of a collision).
	offer *webrtc.SessionDescription
}

// cameraOpenTimeout bounds opening a camera mid-call.
const cameraOpenTimeout = 15 * time.Second

// CameraFailed reports that the camera could not be turned on mid-call;
// the call goes on without this side's video.
type CameraFailed struct{ Err error }

func (CameraFailed) mediaEvent()      {}
func (e CameraFailed) String() string { return "camera failed: " + e.Err.Error() }

// setUpgradedCamera turns the camera of a session that began without video
// on or off.
func (s *Session) setUpgradedCamera(on bool) {
	u := &s.upgrade
	u.wanted = on
	switch {
	case u.opening:
		// cameraStarted looks at wanted when the camera is open.
	case on && s.capture == nil:
		s.emit(CameraFailed{Err: fmt.Errorf("turn camera on: %w", ErrNoVideoSent)})
		u.wanted = false
	case on:
		u.opening = true
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ctx, cancel := context.WithTimeout(s.ctx, cameraOpenTimeout)
			err := s.capture.StartCamera(ctx)
			cancel()
			s.post(func() { s.cameraStarted(err) })
		}()
	default:
		s.stopUpgradedCamera()
	}
}

// cameraStarted sends the camera that just opened, or says why it did not.
func (s *Session) cameraStarted(err error) {
	u := &s.upgrade
	u.opening = false
	if err == nil && !u.wanted {
		s.stopUpgradedCamera() // turned off while it opened
		return
	}
	if err == nil {
		err = s.sendUpgradedVideo()
	}
	if err != nil {
		s.log.Warn("camera did not turn on; the call goes on without our video", "err", err)
		u.wanted = false
		if serr := s.capture.StopCamera(); serr != nil {
			s.log.Debug("stop camera", "err", serr)
		}
		s.emit(CameraFailed{Err: err})
		return
	}
	s.log.Info("camera on", "renegotiate", s.offerNeeded())
	// The offer goes first, so the peer has the video's description by the
	// time it hears the camera is on.
	s.renegotiate()
	s.setLocal(func(m *mediaState) { m.Video = true })
}

// sendUpgradedVideo adds the video sender the first time; later it only
// asks the resumed encoder for a key frame.
func (s *Session) sendUpgradedVideo() error {
	u := &s.upgrade
	if u.sender != nil {
		u.sender.enc.ForceKeyFrame()
		return nil
	}
	snd, err := newSender(s.capture, webrtc.RTPCodecTypeVideo)
	if err != nil {
		return fmt.Errorf("turn camera on: %w", err)
	}
	if snd == nil {
		return fmt.Errorf("turn camera on: %w", ErrNoVideoSent)
	}
	// Pion puts the track on a video transceiver that sends nothing yet
	// (the peer's upgrade made one) or on a new one.
	rtp, err := s.pc.AddTrack(snd.track)
	if err != nil {
		snd.enc.Close()
		return fmt.Errorf("turn camera on: add video track: %w", err)
	}
	u.sender = snd
	s.alloc.setVideo(snd)
	s.alloc.apply(s.path.target(), time.Now())
	s.startSender(snd, rtp)
	return nil
}

// stopUpgradedCamera releases the camera: the encoder waits and sends
// nothing, and the peer is told, so both screens go back to the audio
// call's.
func (s *Session) stopUpgradedCamera() {
	s.setLocal(func(m *mediaState) { m.Video = false })
	if s.capture == nil {
		return
	}
	// On the owner, not in the background: a start after it must find the
	// camera closed.
	if err := s.capture.StopCamera(); err != nil {
		s.log.Warn("stop camera", "err", err)
	}
}

// renegotiate offers the peer our transceivers as they are when they send
// something the last agreed description does not, unless another offer is
// under way: its answer calls this again.
func (s *Session) renegotiate() {
	if s.role == roleUnknown || s.pc.CurrentRemoteDescription() == nil ||
		s.pc.SignalingState() != webrtc.SignalingStateStable || s.restart.offer != nil || s.upgrade.offer != nil {
		return
	}
	if !s.offerNeeded() {
		return
	}
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		s.log.Warn("create renegotiation offer", "err", err)
		return
	}
	s.upgrade.offer = &offer
	s.log.Info("renegotiating", "role", s.role)
	s.relay("offer", offer)
}

// resendRenegotiation sends our unanswered renegotiation offer again,
// unless it is still waiting for the signaler. An answer to a copy the
// peer already had is ignored (see remoteAnswer).
func (s *Session) resendRenegotiation() {
	if s.upgrade.offer == nil || s.offersQueued.Load() > 0 {
		return
	}
	s.log.Info("renegotiation offer sent again")
	s.relay("offer", *s.upgrade.offer)
}

// renegotiationAnswered applies our renegotiation offer and its answer.
func (s *Session) renegotiationAnswered(answer webrtc.SessionDescription) {
	offer := *s.upgrade.offer
	s.upgrade.offer = nil
	if err := s.pc.SetLocalDescription(offer); err != nil {
		s.log.Warn("apply own renegotiation offer", "err", err)
	} else if s.applyAnswer(answer) {
		s.log.Info("renegotiated")
	}
	s.renegotiate()
}

// offerNeeded reports whether a transceiver sends a track that the agreed
// local description does not send.
func (s *Session) offerNeeded() bool {
	cur := s.pc.CurrentLocalDescription()
	if cur == nil {
		return false // the first offer or answer is still to come, and will carry it
	}
	parsed, err := cur.Unmarshal()
	if err != nil {
		return false
	}
	for _, t := range s.pc.GetTransceivers() {
		snd := t.Sender()
		if snd == nil || snd.Track() == nil {
			continue
		}
		if !sendsMid(parsed.MediaDescriptions, t.Mid()) {
			return true
		}
	}
	return false
}
