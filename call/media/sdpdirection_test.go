package media

import (
	"testing"

	"github.com/pion/sdp/v3"
)

func TestSendsMid(t *testing.T) {
	const desc = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=sendonly\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:3\r\na=inactive\r\n" +
		"m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:4\r\na=sendrecv\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:5\r\n"
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(desc); err != nil {
		t.Fatal(err)
	}
	for mid, want := range map[string]bool{"0": true, "1": false, "2": true, "3": false, "4": false, "5": true, "6": false, "": false} {
		if got := sendsMid(parsed.MediaDescriptions, mid); got != want {
			t.Errorf("mid %q sends %t, want %t", mid, got, want)
		}
	}
}
