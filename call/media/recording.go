package media

import (
	"encoding/json"
	"fmt"
)

// recordingState is the "recording" relay's payload: whether the sender
// is recording what it receives of the call. Clients show the peer's.
type recordingState struct {
	Recording bool `json:"recording"`
}

// PeerRecordingChanged reports the peer starting or stopping a recording
// of the call.
type PeerRecordingChanged struct{ Recording bool }

func (PeerRecordingChanged) mediaEvent() {}

func (e PeerRecordingChanged) String() string { return fmt.Sprintf("peer recording=%t", e.Recording) }

// StartRecording writes what the session receives from now on into dir,
// as name.ivf (VP8, as received) and name.ogg (Opus, as received), and
// tells the peer. Recording never holds up the call: with the disk too
// slow, media is left out of the files and counted.
func (s *Session) StartRecording(dir, name string) error {
	// Outside the lock: the disk may be slow, and Pion's callbacks take it.
	r, err := newRecorder(dir, name, recordQueue, s.log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("record call: %w", ErrMediaEnded)
	}
	if !s.rec.CompareAndSwap(nil, r) {
		return fmt.Errorf("record call: %w", ErrAlreadyRecording)
	}
	r.start()
	// A recording that starts mid-call needs a key frame to begin with.
	if p := s.videoPLI.Load(); p != nil {
		p.request()
	}
	s.post(s.tellRecording)
	return nil
}

// tellRecording tells the peer whether we record, once negotiation has
// begun: before, the peer is not in the room yet, and the offer or answer
// carries the state when it comes. Owner goroutine.
func (s *Session) tellRecording() {
	if s.role != roleUnknown {
		s.announceRecording()
	}
}

// StopRecording closes the recording's files, tells the peer and reports
// what was written. Closing the session stops a recording too.
func (s *Session) StopRecording() (Recording, error) {
	r := s.rec.Swap(nil)
	if r == nil {
		return Recording{}, fmt.Errorf("stop recording: %w", ErrNotRecording)
	}
	res := r.stop()
	s.logRecording(res)
	s.post(s.tellRecording)
	return res, res.Err
}

func (s *Session) logRecording(res Recording) {
	s.log.Info("recording closed", "video", res.VideoPath, "frames", res.VideoFrames,
		"audio", res.AudioPath, "audioPackets", res.AudioPackets, "dropped", res.Dropped, "err", res.Err)
}

// Recording reports whether this side records the call.
func (s *Session) Recording() bool { return s.rec.Load() != nil }

// PeerRecording reports whether the peer last said it records the call.
func (s *Session) PeerRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerRecording
}

// announceRecording repeats our recording state after a description, so a
// peer that joined or came back late shows it. Older clients ignore the
// kind.
func (s *Session) announceRecording() {
	s.relay("recording", recordingState{Recording: s.Recording()})
}

// peerRecordingRelay applies the peer's "recording" relay.
func (s *Session) peerRecordingRelay(payload json.RawMessage) {
	var st recordingState
	if err := json.Unmarshal(payload, &st); err != nil {
		s.log.Warn("bad recording state from peer", "err", err)
		return
	}
	s.mu.Lock()
	changed := s.peerRecording != st.Recording
	s.peerRecording = st.Recording
	s.mu.Unlock()
	if changed {
		s.emit(PeerRecordingChanged{Recording: st.Recording})
	}
}
