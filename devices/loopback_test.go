package devices

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// newLoopbackPC builds a PeerConnection the way a call would: codecs from
// RegisterCodecs, pion's default interceptors (NACK, RTCP reports), and ICE
// limited to loopback UDP so the test runs on an offline machine.
func newLoopbackPC(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := RegisterCodecs(me); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

func signal(t *testing.T, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()
	exchange := func(from, to *webrtc.PeerConnection, offer bool) {
		var sd webrtc.SessionDescription
		var err error
		if offer {
			sd, err = from.CreateOffer(nil)
		} else {
			sd, err = from.CreateAnswer(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		gathered := webrtc.GatheringCompletePromise(from)
		if err := from.SetLocalDescription(sd); err != nil {
			t.Fatal(err)
		}
		<-gathered
		if err := to.SetRemoteDescription(*from.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	exchange(offerer, answerer, true)
	exchange(answerer, offerer, false)
}

// A synthetic Capture sent over a real PeerConnection pair: the receiver
// assembles VP8 frames with samplebuilder, decodes them and reads the stamps,
// decodes Opus and hears the tone; then teardown in the documented order
// (PeerConnections first, Capture last) leaves no goroutine behind.
func TestCaptureOverPeerConnection(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 30*time.Second)
	c := openSynthetic(t, CaptureConfig{Video: true, Audio: true, ToneHz: 1000})
	sender, receiver := newLoopbackPC(t), newLoopbackPC(t)
	for _, tr := range c.Tracks() {
		if _, err := sender.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}

	type videoResult struct {
		frame   uint32
		latency time.Duration
	}
	videoCh := make(chan videoResult, 64)
	audioCh := make(chan ToneReport, 1)
	var readers sync.WaitGroup
	receiver.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		readers.Add(1)
		go func() {
			defer readers.Done()
			switch tr.Kind() {
			case webrtc.RTPCodecTypeVideo:
				receiveVideo(t, receiver, tr, func(n uint32, lat time.Duration) {
					select {
					case videoCh <- videoResult{n, lat}:
					default:
					}
				})
			case webrtc.RTPCodecTypeAudio:
				receiveAudio(t, tr, audioCh)
			}
		}()
	})
	signal(t, sender, receiver)

	var got []videoResult
	var tone *ToneReport
	for len(got) < 30 || tone == nil {
		select {
		case v := <-videoCh:
			got = append(got, v)
		case rep := <-audioCh:
			tone = &rep
		case <-ctx.Done():
			t.Fatalf("after %d frames, tone %v: %v", len(got), tone, ctx.Err())
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].frame <= got[i-1].frame {
			t.Fatalf("frame %d after %d", got[i].frame, got[i-1].frame)
		}
	}
	t.Logf("received frames %d..%d, last capture-to-decode latency %v; tone %.2f Hz %.1f dBFS",
		got[0].frame, got[len(got)-1].frame, got[len(got)-1].latency, tone.Frequency, tone.DBFS())
	if math.Abs(tone.Frequency-1000) > 5 {
		t.Errorf("tone received at %.2f Hz, want 1000", tone.Frequency)
	}
	// The audio controls reach the bound encoder, and closing the
	// PeerConnection frees it.
	if err := c.SetAudioPacketLoss(10); err != nil {
		t.Error(err)
	}
	if err := c.SetAudioBitrate(24000); err != nil {
		t.Error(err)
	}
	if n := liveOpusEncoders(c); n != 1 {
		t.Errorf("%d Opus encoders while bound to one PeerConnection, want 1", n)
	}

	// Teardown order matters: PeerConnections before the Capture's tracks.
	if err := sender.Close(); err != nil {
		t.Error(err)
	}
	if err := receiver.Close(); err != nil {
		t.Error(err)
	}
	readers.Wait()
	if n := liveOpusEncoders(c); n != 0 {
		t.Errorf("%d Opus encoders after closing the PeerConnection, want 0", n)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

// receiveVideo depacketizes, decodes and reports stamped frames until the
// track ends, asking for a key frame (rate-limited) on decode errors.
func receiveVideo(t *testing.T, pc *webrtc.PeerConnection, tr *webrtc.TrackRemote, report func(uint32, time.Duration)) {
	if tr.Codec().PayloadType != VP8PayloadType {
		t.Errorf("video payload type %d, want %d", tr.Codec().PayloadType, VP8PayloadType)
	}
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Error(err)
		return
	}
	defer dec.Close()
	sb := samplebuilder.New(128, &codecs.VP8Packet{}, 90000)
	var lastPLI time.Time
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			img, err := dec.Decode(s.Data)
			if errors.Is(err, ErrDecode) && time.Since(lastPLI) > 200*time.Millisecond {
				lastPLI = time.Now()
				_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
			}
			if err != nil {
				continue
			}
			if n, ts, ok := ReadFrameStamp(img); ok {
				report(n, time.Since(ts))
			}
		}
	}
}

// receiveAudio decodes 50 packets (1 s) and reports the tone once.
func receiveAudio(t *testing.T, tr *webrtc.TrackRemote, out chan<- ToneReport) {
	if tr.Codec().PayloadType != OpusPayloadType {
		t.Errorf("audio payload type %d, want %d", tr.Codec().PayloadType, OpusPayloadType)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Error(err)
		return
	}
	defer dec.Close()
	pcm := make([]int16, dec.MaxSamples())
	var all []int16
	packets, reported := 0, false
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			continue
		}
		if packets++; packets > 10 && !reported {
			all = append(all, pcm[:n]...)
		}
		if packets == 60 && !reported {
			reported = true
			rep, err := AnalyzePCM(all, 48000, 1)
			if err != nil {
				t.Error(err)
				return
			}
			out <- rep
		}
	}
}

// liveOpusEncoders counts the Capture's open Opus encoders.
func liveOpusEncoders(c *Capture) int {
	c.opus.mu.Lock()
	defer c.opus.mu.Unlock()
	return len(c.opus.live)
}
