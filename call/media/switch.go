package media

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"

	"duet/devices"
)

// SwitchCamera moves the call to another camera (a device ID, or one of
// devices' synthetic sources) without renegotiation: the peer goes on
// receiving the same track, from a key frame of the new picture. If the
// new camera cannot be opened the old one stays in use and the error says
// why. Safe from any goroutine.
func (s *Session) SwitchCamera(ctx context.Context, cameraID string) error {
	snd := s.sender(webrtc.RTPCodecTypeVideo)
	if s.capture == nil || snd == nil {
		return fmt.Errorf("switch camera: %w", ErrNoVideoSent)
	}
	if err := s.capture.SwitchCamera(ctx, cameraID); err != nil {
		return err
	}
	snd.enc.ForceKeyFrame()
	return nil
}

// SwitchMicrophone moves the call to another microphone (a device ID, or
// devices.SyntheticMicrophoneID) without renegotiation: the same track,
// processing and encoder go on with the new device's sound. If it cannot
// be opened the old one stays in use and the error says why. Safe from any
// goroutine.
func (s *Session) SwitchMicrophone(ctx context.Context, microphoneID string) error {
	if s.capture == nil || s.sender(webrtc.RTPCodecTypeAudio) == nil {
		return fmt.Errorf("switch microphone: %w", ErrNoAudioSent)
	}
	return s.capture.SwitchMicrophone(ctx, microphoneID)
}

// SwitchSpeaker moves the call's sound to speakerID ("" for the system
// default) without interrupting the call: the new speaker opens first, so
// if it cannot, the old one plays on and the error says why. It fails with
// ErrNoPlayback when the call plays no sound. Safe from any goroutine.
func (s *Session) SwitchSpeaker(speakerID string) error {
	s.mu.Lock()
	old, closed := s.playback, s.closed
	s.mu.Unlock()
	if closed || old == nil {
		return fmt.Errorf("switch speaker: %w", ErrNoPlayback)
	}
	if err := s.replacePlayback(old, speakerID); err != nil {
		return err
	}
	select {
	case s.speakerSwitched <- struct{}{}: // watchSpeaker watches the new one
	default:
	}
	return nil
}

// replacePlayback opens speakerID and plays the call there instead of on
// old, which it closes.
func (s *Session) replacePlayback(old *devices.Playback, speakerID string) error {
	pb, err := devices.OpenPlaybackFrom(speakerID, audioRate, audioChannels, s.playout, s.log)
	if err != nil {
		return fmt.Errorf("switch speaker: %w", err)
	}
	s.mu.Lock()
	if s.closed || s.playback != old {
		s.mu.Unlock()
		pb.Close()
		return fmt.Errorf("switch speaker: %w", ErrNoPlayback)
	}
	s.playback = pb
	s.mu.Unlock()
	// Both pulled from the jitter buffer for a moment (it is safe for
	// that); from here only the new one does.
	old.Close()
	s.log.Info("speaker switched", "speaker", speakerID)
	return nil
}
