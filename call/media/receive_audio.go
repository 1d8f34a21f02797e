package media

import (
	"sync"

	"github.com/pion/webrtc/v4"

	"duet/devices"
)

// Received audio is decoded to 48 kHz mono: what playback and the level and
// frequency analysis need.
const (
	audioRate     = 48000
	audioChannels = 1
	analysisLen   = audioRate / 5 // 200 ms, enough to tell 440 Hz from 450
)

// receiveAudio decodes Opus packets, plays them and keeps the last 200 ms
// for the stats' level and frequency. It ends when the peer connection closes.
func (s *Session) receiveAudio(track *webrtc.TrackRemote) {
	defer s.wg.Done()
	dec, err := devices.NewOpusDecoder(audioRate, audioChannels)
	if err != nil {
		s.log.Error("no audio decoder; remote audio will not play", "err", err)
		s.warn(err)
		return
	}
	defer dec.Close()
	pcm := make([]int16, dec.MaxSamples())
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.counters.audioBytes.Add(uint64(len(pkt.Payload)))
		if len(pkt.Payload) == 0 {
			continue
		}
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			s.counters.audioErrors.Add(1)
			continue
		}
		s.counters.audioPackets.Add(1)
		if s.playback != nil {
			s.playback.Write(pcm[:n*audioChannels])
		}
		s.recent.write(pcm[:n*audioChannels])
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
