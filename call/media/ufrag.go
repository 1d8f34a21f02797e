package media

import "strings"

// iceUfrag returns the ICE username fragment of an SDP, "" if it has none.
// A description whose ufrag differs from the one before it restarts ICE
// (RFC 8839 §4.4.1.1.1); Duet's descriptions bundle every media section
// on one transport, so the first ice-ufrag line is the only one that
// matters.
func iceUfrag(sdp string) string {
	for line := range strings.Lines(sdp) {
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok {
			// ice-chars never include spaces: junk after one is not ours.
			if f := strings.Fields(v); len(f) > 0 {
				return f[0]
			}
			return ""
		}
	}
	return ""
}
