package media

import (
	"strings"
	"testing"
	"unicode"
)

var ufragCases = []struct {
	name, sdp, want string
}{
	{"none", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", ""},
	{"empty", "", ""},
	{"session level", "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "abcd"},
	{"media level", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:EfGh\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ice-ufrag:EfGh\r\n", "EfGh"},
	{"first wins", "a=ice-ufrag:one\na=ice-ufrag:two\n", "one"},
	{"bare LF, no trailing newline", "v=0\na=ice-ufrag:lf", "lf"},
	{"not at line start", "a=x a=ice-ufrag:nope\r\n", ""},
	{"empty value", "a=ice-ufrag:\r\n", ""},
	{"junk after a space", "a=ice-ufrag:ab cd\r\n", "ab"},
	{"bare CR inside", "a=ice-ufrag:0\r0\n", "0"},
}

func TestICEUfrag(t *testing.T) {
	for _, c := range ufragCases {
		if got := iceUfrag(c.sdp); got != c.want {
			t.Errorf("%s: iceUfrag = %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzICEUfrag: whatever the peer sends, the ufrag found is one line's
// value's first word: no spaces or line breaks.
func FuzzICEUfrag(f *testing.F) {
	for _, c := range ufragCases {
		f.Add(c.sdp)
	}
	f.Fuzz(func(t *testing.T, sdp string) {
		u := iceUfrag(sdp)
		if u == "" {
			return
		}
		if strings.ContainsFunc(u, unicode.IsSpace) {
			t.Fatalf("ufrag %q is not one word", u)
		}
		if !strings.Contains(sdp, "a=ice-ufrag:") || !strings.Contains(sdp, u) {
			t.Fatalf("ufrag %q is not in the description", u)
		}
	})
}
