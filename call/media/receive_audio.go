package media

import (
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/call/media/jitter"
	"duet/devices"
)

// Received audio is decoded to 48 kHz mono: what playback and the level and
// frequency analysis need.
const (
	audioRate     = 48000
	audioChannels = 1
	analysisLen   = audioRate / 5 // 200 ms, enough to tell 440 Hz from 450
)

// playoutPeriod is what the playout clock pulls at a time when no
// speaker does: the 10 ms a speaker's callback typically asks for.
const playoutPeriod = 10 * time.Millisecond

// receiveAudio hands received Opus packets to the jitter buffer, which the
// speaker (or, without one, the playout clock) pulls decoded, concealed or
// FEC-recovered audio from. It ends when the peer connection closes.
func (s *Session) receiveAudio(track *webrtc.TrackRemote) {
	defer s.wg.Done()
	dec, err := devices.NewOpusDecoder(audioRate, audioChannels)
	if err != nil {
		s.log.Error("no audio decoder; remote audio will not play", "err", err)
		s.warn(err)
		return
	}
	defer dec.Close()
	jb, err := jitter.New(jitter.Config{SampleRate: audioRate, Decoder: dec})
	if err != nil {
		s.log.Error("no jitter buffer; remote audio will not play", "err", err)
		s.warn(err)
		return
	}
	s.jitter.Store(jb)
	defer s.jitter.Store(nil)
	s.mu.Lock()
	speaker := s.playback != nil
	s.mu.Unlock()
	if !speaker {
		stop := make(chan struct{})
		done := make(chan struct{})
		go s.playoutClock(stop, done)
		defer func() { close(stop); <-done }()
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.counters.audioBytes.Add(uint64(len(pkt.Payload)))
		if len(pkt.Payload) == 0 {
			continue
		}
		s.counters.audioPackets.Add(1)
		if r := s.rec.Load(); r != nil {
			r.addAudio(pkt)
		}
		jb.Push(pkt.SequenceNumber, pkt.Timestamp, pkt.Payload, time.Now())
	}
}

// playout fills out from the jitter buffer, or with silence before audio
// arrives, and keeps it for the level and frequency. It runs on the
// speaker's audio thread and never blocks for long.
func (s *Session) playout(out []int16) {
	jb := s.jitter.Load()
	if jb == nil {
		clear(out)
		return
	}
	jb.Pull(out)
	s.recent.write(out)
	if s.capture != nil {
		// What is played is what the microphone's echo canceller must
		// take out again. Without a speaker there is no echo, and the
		// canceller finds none.
		s.capture.PlayedOut(out, audioChannels)
	}
}

// playoutClock pulls audio in real time when no speaker does, so the
// jitter buffer, its concealment and the analysis run as in a call with
// sound. It pulls what the elapsed time owes, not one period per tick, so
// a late tick does not slow playout down.
func (s *Session) playoutClock(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	frame := make([]int16, audioRate*int(playoutPeriod/time.Millisecond)/1000*audioChannels)
	tick := time.NewTicker(playoutPeriod)
	defer tick.Stop()
	start := time.Now()
	var pulled time.Duration
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			// Past a long stall, owe no more than 100 ms: the buffer
			// would only throw the rest away.
			if owed := now.Sub(start) - pulled; owed > 100*time.Millisecond {
				pulled += owed - 100*time.Millisecond
			}
			for now.Sub(start)-pulled >= playoutPeriod {
				s.playout(frame)
				pulled += playoutPeriod
			}
		}
	}
}

// pcmWindow keeps the most recent analysisLen samples. Safe for concurrent use.
type pcmWindow struct {
	mu   sync.Mutex
	buf  []int16 // guarded by mu
	next int     // guarded by mu
	full bool    // guarded by mu
}

func (w *pcmWindow) write(pcm []int16) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf == nil {
		w.buf = make([]int16, analysisLen)
	}
	for _, v := range pcm {
		w.buf[w.next] = v
		w.next++
		if w.next == len(w.buf) {
			w.next, w.full = 0, true
		}
	}
}

// snapshot returns the window in time order, or nil before it has filled.
func (w *pcmWindow) snapshot() []int16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.full {
		return nil
	}
	out := make([]int16, 0, len(w.buf))
	out = append(out, w.buf[w.next:]...)
	return append(out, w.buf[:w.next]...)
}
