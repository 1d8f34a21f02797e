package media

import (
	"context"
	"fmt"
	"time"
)

// screenOpenTimeout bounds opening a screen for sharing, and the camera
// coming back after it.
const screenOpenTimeout = 10 * time.Second

// ScreenShareChanged reports a screen share beginning (On) or ending, or,
// with Err, a share that could not begin; the call goes on as it was.
type ScreenShareChanged struct {
	On  bool
	Err error
}

func (ScreenShareChanged) mediaEvent() {}
func (e ScreenShareChanged) String() string {
	if e.Err != nil {
		return "screen share failed: " + e.Err.Error()
	}
	return fmt.Sprintf("screen share on=%t", e.On)
}

// ShareScreen sends the screen screenID (from devices.Screens; "" for the
// first) in place of the camera, encoded for legibility within the same
// bandwidth estimate. In an audio call it makes the call a video call, as
// turning the camera on does. The peer is told through the "media" relay
// ("screen": true), and ScreenShareChanged reports the outcome. It never
// blocks.
func (s *Session) ShareScreen(screenID string) {
	s.post(func() { s.startSharing(screenID) })
}

// StopSharing ends a screen share: the camera comes back as it was before,
// or as SetCamera asked meanwhile. It never blocks.
func (s *Session) StopSharing() { s.post(s.stopSharing) }

func (s *Session) startSharing(screenID string) {
	if s.capture == nil {
		s.emit(ScreenShareChanged{Err: fmt.Errorf("share screen: %w", ErrNoVideoSent)})
		return
	}
	if !s.sharing {
		s.mu.Lock()
		s.cameraAfterShare = s.local.Video
		s.mu.Unlock()
	}
	s.sharing = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, screenOpenTimeout)
		err := s.capture.ShareScreen(ctx, screenID)
		cancel()
		s.post(func() { s.screenShared(err) })
	}()
}

// screenShared sends the screen that just opened, adding a video sender
// first in a call that had none.
func (s *Session) screenShared(err error) {
	if err == nil && !s.sharing { // stopped while it opened
		s.sharing = true
		s.stopSharing()
		return
	}
	if err == nil && s.startedAudio {
		err = s.sendUpgradedVideo()
		if err == nil {
			s.renegotiate()
		}
	}
	if err != nil {
		s.log.Warn("screen not shared; the call goes on as it was", "err", err)
		s.sharing = s.capture.Sharing()
		if !s.sharing {
			s.emit(ScreenShareChanged{Err: err})
		}
		return
	}
	if s.upgrade.sender != nil {
		s.upgrade.sender.enc.ForceKeyFrame()
	}
	s.log.Info("screen shared")
	s.setLocal(func(m *mediaState) { m.Video, m.Screen = true, true })
	s.emit(ScreenShareChanged{On: true})
}

func (s *Session) stopSharing() {
	if !s.sharing || s.capture == nil {
		return
	}
	s.sharing = false
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, screenOpenTimeout)
		err := s.capture.StopSharing(ctx)
		cancel()
		s.post(func() { s.sharingStopped(err) })
	}()
}

// sharingStopped puts the camera's state back: in a call that began with
// video the camera is on or sends black frames as before; in one that began
// without, the capture reopened the camera if it was open, and a change
// asked for meanwhile is made now.
func (s *Session) sharingStopped(err error) {
	if err != nil {
		s.log.Warn("the camera did not come back after the screen share", "err", err)
	}
	s.mu.Lock()
	camera := s.cameraAfterShare
	s.mu.Unlock()
	video := camera
	if s.startedAudio {
		video = s.capture.CameraOpen()
	}
	s.setLocal(func(m *mediaState) { m.Video, m.Screen = video, false })
	s.emit(ScreenShareChanged{On: false})
	if s.startedAudio && camera != video {
		s.setUpgradedCamera(camera)
	}
}
