package media

import "github.com/pion/sdp/v3"

// sendsMid reports whether the media section mid of a description sends:
// its direction is sendrecv or sendonly (sendrecv when none is given).
func sendsMid(sections []*sdp.MediaDescription, mid string) bool {
	if mid == "" {
		return false
	}
	for _, m := range sections {
		if v, _ := m.Attribute(sdp.AttrKeyMID); v != mid {
			continue
		}
		if m.MediaName.Port.Value == 0 {
			return false // rejected or stopped
		}
		for _, dir := range []string{sdp.AttrKeyRecvOnly, sdp.AttrKeyInactive} {
			if _, ok := m.Attribute(dir); ok {
				return false
			}
		}
		return true
	}
	return false
}
