package media

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// Event is something the application shows: a connection change, the
// peer's mute/camera state, the first remote frame, stats.
type Event interface{ mediaEvent() }

// ConnectionChanged reports the peer connection's state.
type ConnectionChanged struct {
	State webrtc.PeerConnectionState
}

// PeerMediaChanged reports the peer turning its microphone or camera on or
// off, or sharing its screen (Video is then on).
type PeerMediaChanged struct {
	Audio, Video, Screen bool
}

// FirstFrame reports the first decoded remote video frame.
type FirstFrame struct {
	Width, Height int
}

// StatsUpdated carries the stats sampled once a second.
type StatsUpdated struct {
	Stats Stats
}

func (ConnectionChanged) mediaEvent() {}
func (PeerMediaChanged) mediaEvent()  {}
func (FirstFrame) mediaEvent()        {}
func (StatsUpdated) mediaEvent()      {}

func (e ConnectionChanged) String() string { return "connection " + e.State.String() }
func (e PeerMediaChanged) String() string {
	return fmt.Sprintf("peer audio=%t video=%t screen=%t", e.Audio, e.Video, e.Screen)
}

// ICERestarting reports an ICE restart: the media path was lost and new
// candidates are being exchanged. Attempt counts the restarts of this
// outage from 1; ByPeer says the peer's offer began it.
type ICERestarting struct {
	Attempt int
	ByPeer  bool
	Reason  string
}

// ICEReconnected reports the media path working again after it was lost;
// Down is how long it was gone.
type ICEReconnected struct {
	Down     time.Duration
	Attempts int // restart attempts it took; 0 when it came back by itself
}

func (ICERestarting) mediaEvent()  {}
func (ICEReconnected) mediaEvent() {}

func (e ICERestarting) String() string {
	return fmt.Sprintf("ice restart attempt=%d byPeer=%t reason=%s", e.Attempt, e.ByPeer, e.Reason)
}
func (e ICEReconnected) String() string {
	return fmt.Sprintf("ice reconnected after %s, %d attempts", e.Down.Round(time.Millisecond), e.Attempts)
}
