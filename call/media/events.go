package media

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Event is something the application shows: a connection change, the
// peer's mute/camera state, the first remote frame, stats.
type Event interface{ mediaEvent() }

// ConnectionChanged reports the peer connection's state.
type ConnectionChanged struct {
	State webrtc.PeerConnectionState
}

// PeerMediaChanged reports the peer turning its microphone or camera on or off.
type PeerMediaChanged struct {
	Audio, Video bool
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
	return fmt.Sprintf("peer audio=%t video=%t", e.Audio, e.Video)
}
