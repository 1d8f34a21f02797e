package media

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
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
