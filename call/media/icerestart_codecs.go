package media

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"
)

// keepDescribedCodecs makes our next offer or answer describe each codec as
// our current local description does. Pion builds later descriptions from
// the codecs of the peer's, with the peer's format parameters; Firefox
// reads parameters that changed as a new receive setup and shows no video
// for about two seconds (an ICE restart paused Firefox's video by that
// much). Payload types and feedback stay as negotiated. It does nothing
// before the first negotiation.
func keepDescribedCodecs(pc *webrtc.PeerConnection) error {
	local := pc.CurrentLocalDescription()
	if local == nil {
		return nil
	}
	parsed, err := local.Unmarshal()
	if err != nil {
		return fmt.Errorf("parse local description: %w", err)
	}
	type section struct {
		formats map[webrtc.PayloadType]bool
		fmtp    map[webrtc.PayloadType]string
	}
	sections := map[string]section{}
	for _, m := range parsed.MediaDescriptions {
		mid, ok := m.Attribute("mid")
		if !ok {
			continue
		}
		sec := section{formats: map[webrtc.PayloadType]bool{}, fmtp: map[webrtc.PayloadType]string{}}
		for _, f := range m.MediaName.Formats {
			if pt, err := strconv.ParseUint(f, 10, 7); err == nil {
				sec.formats[webrtc.PayloadType(pt)] = true
			}
		}
		for _, a := range m.Attributes {
			if a.Key != "fmtp" {
				continue
			}
			f, params, _ := strings.Cut(a.Value, " ")
			if pt, err := strconv.ParseUint(f, 10, 7); err == nil {
				sec.fmtp[webrtc.PayloadType(pt)] = strings.TrimSpace(params)
			}
		}
		sections[mid] = sec
	}
	for _, t := range pc.GetTransceivers() {
		sec, ok := sections[t.Mid()]
		if !ok || t.Receiver() == nil {
			continue
		}
		var keep []webrtc.RTPCodecParameters
		for _, c := range t.Receiver().GetParameters().Codecs {
			if !sec.formats[c.PayloadType] {
				continue
			}
			c.SDPFmtpLine = sec.fmtp[c.PayloadType]
			keep = append(keep, c)
		}
		if len(keep) == 0 {
			continue
		}
		if err := t.SetCodecPreferences(keep); err != nil {
			return fmt.Errorf("keep codecs of mid %s: %w", t.Mid(), err)
		}
	}
	return nil
}
