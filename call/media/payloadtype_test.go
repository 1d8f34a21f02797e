package media_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"duet/call/leaktest"
	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
)

// Firefox numbers its codecs differently from Chromium and from Duet's own
// offers.
const (
	firefoxVP8  webrtc.PayloadType = 120
	firefoxOpus webrtc.PayloadType = 109
)

// encoder is either of a capture's encoders.
type encoder interface {
	Read() ([]byte, time.Duration, error)
	Close() error
}

// foreignPeer is a standard WebRTC client with Firefox's payload types that
// makes the offer, talking to a Duet session through a direct relay.
type foreignPeer struct {
	directPeer
	capture *devices.Capture

	mu       sync.Mutex
	packets  map[webrtc.PayloadType]int // guarded by mu: received, by payload type
	wrongPTs int                        // guarded by mu: packets not of the track's codec
	readers  sync.WaitGroup
}

func newForeignPeer(t *testing.T) *foreignPeer {
	t.Helper()
	me := &webrtc.MediaEngine{}
	for _, c := range []struct {
		p    webrtc.RTPCodecParameters
		kind webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}}, PayloadType: firefoxVP8}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "maxplaybackrate=48000;stereo=1;useinbandfec=1"}, PayloadType: firefoxOpus}, webrtc.RTPCodecTypeAudio},
	} {
		if err := me.RegisterCodec(c.p, c.kind); err != nil {
			t.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	f := &foreignPeer{directPeer: directPeer{t: t, pc: pc}, packets: map[webrtc.PayloadType]int{}}
	f.sendSynthetic()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		f.readers.Add(1)
		go func() {
			defer f.readers.Done()
			want := tr.Codec().PayloadType
			for {
				pkt, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				f.mu.Lock()
				f.packets[webrtc.PayloadType(pkt.PayloadType)]++
				if webrtc.PayloadType(pkt.PayloadType) != want {
					f.wrongPTs++
				}
				f.mu.Unlock()
			}
		}()
	})
	f.trickle()
	t.Cleanup(func() {
		pc.Close()
		f.capture.Close()
		f.readers.Wait()
	})
	return f
}

// sendSynthetic sends the test pattern and tone, packetized by pion with
// this peer's own payload types.
func (f *foreignPeer) sendSynthetic() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true, Video: true,
		Width: 320, Height: 240, FPS: 15, VideoBitrate: 200_000, ToneHz: 660})
	if err != nil {
		f.t.Fatal(err)
	}
	f.capture = c
	for _, open := range []struct {
		enc func() (encoder, error)
		cap webrtc.RTPCodecCapability
	}{
		{func() (encoder, error) { return c.NewAudioEncoder() }, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}},
		{func() (encoder, error) { return c.NewVideoEncoder() }, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
	} {
		enc, err := open.enc()
		if err != nil {
			f.t.Fatal(err)
		}
		track, err := webrtc.NewTrackLocalStaticSample(open.cap, open.cap.MimeType, "foreign")
		if err != nil {
			f.t.Fatal(err)
		}
		if _, err := f.pc.AddTrack(track); err != nil {
			f.t.Fatal(err)
		}
		f.readers.Add(1)
		go func() {
			defer f.readers.Done()
			defer enc.Close()
			for {
				data, d, err := enc.Read()
				if err != nil {
					return
				}
				// The encoder's key frame every three seconds is what the
				// echo needs: this peer does not serve key frame requests.
				track.WriteSample(pionmedia.Sample{Data: data, Duration: d})
			}
		}()
	}
}

func (f *foreignPeer) received(pt webrtc.PayloadType) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.packets[pt]
}

// TestSendsNegotiatedPayloadTypes: when a client that numbers its codecs as
// Firefox does makes the offer, Duet sends its audio and video, and the echo
// its forwarded packets, with those numbers, so the client can play them.
func TestSendsNegotiatedPayloadTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		echo bool
	}{{"capture", false}, {"echo", true}} {
		t.Run(tc.name, func(t *testing.T) {
			leaktest.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			f := newForeignPeer(t)
			cfg := media.Config{Signal: f, Type: proto.CallTypeVideo, LoopbackOnly: true, Echo: tc.echo}
			if !tc.echo {
				capture, err := devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true, Video: true,
					Width: 320, Height: 240, FPS: 15, VideoBitrate: 200_000})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Capture = capture
			}
			s, err := media.Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				for range s.Events() {
				}
			}()
			defer s.Close()
			f.session.Store(s)
			f.offer()
			eventually(t, "VP8 and Opus at the offered payload types", func() bool {
				return f.received(firefoxVP8) > 20 && f.received(firefoxOpus) > 20
			})
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.wrongPTs != 0 || f.packets[devices.VP8PayloadType] != 0 || f.packets[devices.OpusPayloadType] != 0 {
				t.Errorf("packets by payload type %v, %d not of their track's codec", f.packets, f.wrongPTs)
			}
			if !tc.echo {
				eventually(t, "the foreign peer's video decoded", func() bool { return s.Stats().FramesDecoded > 5 })
			}
		})
	}
}
