package media_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/pion/webrtc/v4"

	"duet/call/media"
	"duet/call/proto"
)

// directPeer is a plain pion peer connection that signals a Duet session
// directly, without a server: it is the session's Signaler (the session's
// answer and candidates reach the peer), and deliver hands the session the
// peer's messages. The peer makes the offer.
type directPeer struct {
	t       testing.TB
	pc      *webrtc.PeerConnection
	session atomic.Pointer[media.Session]
}

// deliver hands the session a relay message from the peer.
func (d *directPeer) deliver(kind string, payload any) {
	b, err := json.Marshal(payload)
	if err != nil {
		d.t.Error(err)
		return
	}
	if s := d.session.Load(); s != nil {
		s.Handle(&proto.RelayEvent{Kind: kind, Payload: b})
	}
}

// Relay is the session's signaler.
func (d *directPeer) Relay(_ context.Context, kind string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	switch kind {
	case "answer":
		var desc webrtc.SessionDescription
		if err := json.Unmarshal(b, &desc); err != nil {
			return err
		}
		return d.pc.SetRemoteDescription(desc)
	case "candidate":
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		return d.pc.AddICECandidate(c)
	}
	return nil
}

func (d *directPeer) offer() {
	d.t.Helper()
	offer, err := d.pc.CreateOffer(nil)
	if err == nil {
		err = d.pc.SetLocalDescription(offer)
	}
	if err != nil {
		d.t.Fatal(err)
	}
	d.deliver("offer", offer)
}

// trickle sends the peer's candidates to the session as they come.
func (d *directPeer) trickle() {
	d.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			d.deliver("candidate", c.ToJSON())
		}
	})
}
