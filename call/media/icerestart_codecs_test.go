package media

import (
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"duet/call/leaktest"
	"duet/devices"
)

// TestRestartOfferKeepsCodecs: Duet made the first offer and the peer
// answered with its own format parameters, as Firefox does; Duet's
// restart offer lists the same payload types with the same parameters as
// its first offer, where Pion alone would put the answer's in it. (When
// the peer offers first, Pion's answer already repeats the offer's.)
func TestRestartOfferKeepsCodecs(t *testing.T) {
	duet, _ := negotiatedWithFirefox(t)
	before := codecLines(t, duet.CurrentLocalDescription().SDP)

	plain, err := duet.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := codecLines(t, plain.SDP); slices.Equal(got, before) {
		t.Fatalf("Pion's own re-offer already keeps the codec lines %q: the test shows nothing", got)
	}
	if err := keepDescribedCodecs(duet); err != nil {
		t.Fatal(err)
	}
	restart, err := duet.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := codecLines(t, restart.SDP); !slices.Equal(got, before) {
		t.Errorf("restart offer's codecs:\n%s\nwant as in the first offer:\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
}

// TestRestartAnswerKeepsCodecs: the same, when the peer makes the restart
// offer: Duet's answer describes the codecs as its first offer did.
func TestRestartAnswerKeepsCodecs(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "Pion alone", true: "kept"}[keep], func(t *testing.T) {
			duet, peer := negotiatedWithFirefox(t)
			before := codecLines(t, duet.CurrentLocalDescription().SDP)
			offer, err := peer.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := peer.SetLocalDescription(offer); err != nil {
				t.Fatal(err)
			}
			offer.SDP = withFirefoxFmtp(t, offer.SDP)
			if err := duet.SetRemoteDescription(offer); err != nil {
				t.Fatal(err)
			}
			if keep {
				if err := keepDescribedCodecs(duet); err != nil {
					t.Fatal(err)
				}
			}
			answer, err := duet.CreateAnswer(nil)
			if err != nil {
				t.Fatal(err)
			}
			same := slices.Equal(codecLines(t, answer.SDP), before)
			switch {
			case keep && !same:
				t.Errorf("restart answer's codecs:\n%s\nwant as in the first offer:\n%s",
					strings.Join(codecLines(t, answer.SDP), "\n"), strings.Join(before, "\n"))
			case !keep && same:
				t.Errorf("Pion's own answer already keeps the codec lines: the test shows nothing")
			}
		})
	}
}

// negotiatedWithFirefox: Duet offers, the peer answers with Firefox's
// format parameters.
func negotiatedWithFirefox(t *testing.T) (duet, peer *webrtc.PeerConnection) {
	t.Helper()
	leaktest.Check(t)
	duet = newCodecTestPC(t)
	peer = newCodecTestPC(t)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := duet.AddTransceiverFromKind(kind); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := duet.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := duet.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	if err := peer.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	answer, err := peer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	answer.SDP = withFirefoxFmtp(t, answer.SDP)
	if err := duet.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	return duet, peer
}

func newCodecTestPC(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := devices.RegisterCodecs(me); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.GracefulClose() })
	return pc
}

// withFirefoxFmtp gives VP8 and Opus the format parameters Firefox puts in
// its descriptions.
func withFirefoxFmtp(t *testing.T, desc string) string {
	t.Helper()
	firefox := map[string]string{"VP8": "max-fs=12288;max-fr=60", "opus": "maxplaybackrate=48000;stereo=1;useinbandfec=1"}
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(desc); err != nil {
		t.Fatal(err)
	}
	for _, m := range parsed.MediaDescriptions {
		params := map[string]string{}
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" {
				pt, enc, _ := strings.Cut(a.Value, " ")
				name, _, _ := strings.Cut(enc, "/")
				if f, ok := firefox[name]; ok {
					params[pt] = f
				}
			}
		}
		m.Attributes = slices.DeleteFunc(m.Attributes, func(a sdp.Attribute) bool { return a.Key == "fmtp" })
		for pt, f := range params {
			m.Attributes = append(m.Attributes, sdp.NewAttribute("fmtp", pt+" "+f))
		}
	}
	out, err := parsed.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// codecLines are each media section's mid, payload types and format
// parameters.
func codecLines(t *testing.T, desc string) []string {
	t.Helper()
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(desc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range parsed.MediaDescriptions {
		mid, _ := m.Attribute("mid")
		out = append(out, "mid "+mid+": "+strings.Join(m.MediaName.Formats, " "))
		for _, a := range m.Attributes {
			if a.Key == "fmtp" {
				out = append(out, "  fmtp:"+a.Value)
			}
		}
	}
	return out
}
