package media_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"duet/call/media"
	"duet/call/proto"
	"duet/devices"
)

// standIn stands in for a libwebrtc sender (Chromium) calling Duet: a plain
// pion peer with pion's stock send-side GCC and pacer, its NACK responder
// and transport-wide sequence numbers, sending the synthetic scene at
// GCC's target and a key frame for every key frame request. Only Duet's
// receiver is under test: its NACKs, key frame requests and feedback
// decide how this sender fares.
type standIn struct {
	directPeer
	bwe     atomic.Pointer[cc.BandwidthEstimator]
	capture *devices.Capture
	video   *devices.VideoEncoder
	wire    *wireCounter
	plis    atomic.Int64 // key frame requests received
	workers sync.WaitGroup
	done    chan struct{}
}

func newStandIn(t testing.TB, n *vnet.Net) *standIn {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	s := &standIn{directPeer: directPeer{t: t}, wire: &wireCounter{seen: map[uint32]map[uint16]bool{}}, done: make(chan struct{})}
	reg := &interceptor.Registry{}
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(300_000), gcc.SendSideBWEMaxBitrate(2_500_000))
	})
	if err != nil {
		t.Fatal(err)
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { s.bwe.Store(&e) })
	reg.Add(ccf)
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, reg); err != nil {
		t.Fatal(err)
	}
	// Inside the NACK responder, so its resends are counted too.
	reg.Add(s.wire)
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNet(n)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	s.pc = pc
	s.trickle()
	s.startSending()
	t.Cleanup(s.close)
	return s
}

func (s *standIn) startSending() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := devices.Open(ctx, *callCapture())
	if err != nil {
		s.t.Fatal(err)
	}
	s.capture = c
	if s.video, err = c.NewVideoEncoder(); err != nil {
		s.t.Fatal(err)
	}
	s.video.SetBitRate(300_000)
	audio, err := c.NewAudioEncoder()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range []struct {
		enc interface {
			Read() ([]byte, time.Duration, error)
			Close() error
		}
		cap webrtc.RTPCodecCapability
	}{
		{audio, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}},
		{s.video, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
	} {
		track, err := webrtc.NewTrackLocalStaticSample(m.cap, strings.Split(m.cap.MimeType, "/")[0], "standin")
		if err != nil {
			s.t.Fatal(err)
		}
		sender, err := s.pc.AddTrack(track)
		if err != nil {
			s.t.Fatal(err)
		}
		s.workers.Add(2)
		go func() {
			defer s.workers.Done()
			defer m.enc.Close()
			for {
				data, d, err := m.enc.Read()
				if err != nil {
					return
				}
				track.WriteSample(pionmedia.Sample{Data: data, Duration: d})
			}
		}()
		go func() {
			defer s.workers.Done()
			for {
				pkts, _, err := sender.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					switch p.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						s.plis.Add(1)
						s.video.ForceKeyFrame()
					}
				}
			}
		}()
	}
	// The encoder follows GCC's target, as libwebrtc's does: its video
	// gets what audio leaves, at a size that bitrate carries.
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
				if e := s.target(); e > 0 {
					bps := max(e-60_000, 30_000)
					s.video.SetBitRate(bps)
					s.video.SetLayer(standInLayer(bps))
				}
			}
		}
	}()
}

// standInLayer is about where libwebrtc's bitrate-based scaling puts VP8.
func standInLayer(bps int) devices.Layer {
	switch {
	case bps >= 1_000_000:
		return devices.Layer{Width: 640, Height: 480, FPS: 30}
	case bps >= 450_000:
		return devices.Layer{Width: 480, Height: 360, FPS: 30}
	case bps >= 150_000:
		return devices.Layer{Width: 320, Height: 240, FPS: 30}
	}
	return devices.Layer{Width: 320, Height: 240, FPS: 15}
}

func (s *standIn) target() int {
	if e := s.bwe.Load(); e != nil {
		return (*e).GetTargetBitrate()
	}
	return 0
}

func (s *standIn) close() {
	close(s.done)
	s.pc.Close()
	s.capture.Close()
	s.workers.Wait()
}

// wireCounter counts what a sender puts on the wire and which of it is a
// packet sent again.
type wireCounter struct {
	interceptor.NoOp
	mu           sync.Mutex
	seen         map[uint32]map[uint16]bool // guarded by mu
	bytes, again atomic.Int64
}

func (w *wireCounter) NewInterceptor(string) (interceptor.Interceptor, error) { return w, nil }

func (w *wireCounter) BindLocalStream(_ *interceptor.StreamInfo, next interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		size := int64(h.MarshalSize() + len(payload))
		w.bytes.Add(size)
		w.mu.Lock()
		seqs := w.seen[h.SSRC]
		if seqs == nil {
			seqs = map[uint16]bool{}
			w.seen[h.SSRC] = seqs
		}
		if seqs[h.SequenceNumber] {
			w.again.Add(size)
		}
		seqs[h.SequenceNumber] = true
		// Forget what is a wrap away.
		delete(seqs, h.SequenceNumber+32768)
		w.mu.Unlock()
		return next.Write(h, payload, a)
	})
}

// standInSecond is one second of a stand-in call, seen from both ends.
type standInSecond struct {
	at                time.Duration
	capacity          int
	target, sent      float64 // the sender's estimate and what it put on the wire, kbit/s
	resentPct         float64
	fps               float64 // decoded by Duet
	nacks, plis       uint64  // Duet's receiver asked so far
	receivedKeyframes int64
}

// runStandIn has the stand-in call a receive-only Duet session over the
// scenario's link and samples both ends once a second.
func runStandIn(t testing.TB, sc scenario) []standInSecond {
	newRig(t) // the leak check
	l := newLink(t, sc.link)
	s := newStandIn(t, l.A)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	m, err := media.Start(media.Config{Signal: s, Type: proto.CallTypeVideo, Net: l.B})
	if err != nil {
		t.Fatal(err)
	}
	s.session.Store(m)
	go func() {
		for range m.Events() {
		}
	}()
	defer m.Close()
	s.offer()
	for m.Stats().FramesDecoded == 0 {
		if ctx.Err() != nil {
			t.Fatal("no video from the stand-in")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var out []standInSecond
	lastBytes, lastAgain := s.wire.bytes.Load(), s.wire.again.Load()
	playScenario(sc, l, time.Now(), func(at time.Duration, capacity int) {
		bytes, again := s.wire.bytes.Load(), s.wire.again.Load()
		st := m.Stats()
		sec := standInSecond{at: at, capacity: capacity, target: float64(s.target()) / 1000,
			sent: float64(bytes-lastBytes) * 8 / 1000, fps: st.FPS, nacks: st.NACKs, plis: st.PLIs,
			receivedKeyframes: s.plis.Load()}
		if bytes > lastBytes {
			sec.resentPct = 100 * float64(again-lastAgain) / float64(bytes-lastBytes)
		}
		lastBytes, lastAgain = bytes, again
		out = append(out, sec)
	})
	return out
}

// BenchmarkNetworkScenariosLibwebrtcSender: a libwebrtc-like sender (see
// standIn) calls Duet over the steady lossy link and through the dip. One
// row each: the sender's target before, in and after the dip (or over the
// call), its resent share, the NACKs and key frame requests Duet's
// receiver sent per minute, and fps decoded by Duet. Part of make
// netbench; NETBENCH picks by name as there.
func BenchmarkNetworkScenariosLibwebrtcSender(b *testing.B) {
	filter := os.Getenv("NETBENCH")
	var rows []string
	for _, sc := range netScenarios {
		if sc.name != "400 kbit/s 50 ms 1 %" && sc.name != "2.5M→150k→2.5M" || filter != "" && !strings.Contains(sc.name, filter) {
			continue
		}
		b.Run(strings.NewReplacer(" ", "_", "/", "_", "%", "pct").Replace(sc.name), func(b *testing.B) {
			for range b.N {
				secs := runStandIn(b, sc)
				if os.Getenv("NETBENCH_TRACE") != "" {
					fmt.Printf("\n%s\n%4s %7s %7s %7s %5s %5s %6s %5s\n", sc.name, "s", "cap", "target", "sent", "rtx%", "fps", "nacks", "plis")
					for _, s := range secs {
						fmt.Printf("%4.0f %7d %7.0f %7.0f %5.1f %5.1f %6d %5d\n", s.at.Seconds(), s.capacity/1000, s.target, s.sent,
							s.resentPct, s.fps, s.nacks, s.plis)
					}
				}
				rows = append(rows, standInRow(sc, secs))
			}
		})
	}
	fmt.Printf("\nlibwebrtc-like sender → Duet\n%-22s %s\n", "scenario", "sender's target kbit/s; resent; Duet's NACKs and key frame requests per minute; fps at Duet")
	for _, r := range rows {
		fmt.Println(r)
	}
}

func standInRow(sc scenario, secs []standInSecond) string {
	if len(secs) < 2 {
		return sc.name + ": too short"
	}
	first, last := secs[0], secs[len(secs)-1]
	mins := (last.at - first.at).Minutes()
	meanOf := func(from, to time.Duration, f func(standInSecond) float64) float64 {
		var sum float64
		n := 0
		for _, s := range secs {
			if s.at >= from && s.at < to {
				sum += f(s)
				n++
			}
		}
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	target := func(s standInSecond) float64 { return s.target }
	resent := func(s standInSecond) float64 { return s.resentPct }
	fps := func(s standInSecond) float64 { return s.fps }
	rates := fmt.Sprintf("target %.0f", meanOf(5*time.Second, sc.duration, target))
	if len(sc.steps) >= 2 {
		down, up := sc.steps[0].at, sc.steps[1].at
		rates = fmt.Sprintf("target %.0f before, %.0f in the dip, %.0f in the 10 s after, %.0f at the end",
			meanOf(10*time.Second, down, target), meanOf(down+2*time.Second, up, target),
			meanOf(up, up+10*time.Second, target), meanOf(sc.duration-5*time.Second, sc.duration+time.Second, target))
	}
	return fmt.Sprintf("%-22s %s; resent %.1f %%; %.0f NACKs/min, %.1f key frame requests/min; %.1f fps",
		sc.name, rates, meanOf(0, sc.duration+time.Second, resent),
		float64(last.nacks-first.nacks)/mins, float64(last.plis-first.plis)/mins, meanOf(2*time.Second, sc.duration+time.Second, fps))
}
