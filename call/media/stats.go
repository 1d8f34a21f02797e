package media

import (
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/devices"
)

// Stats is the state of a call's media, sampled once a second.
type Stats struct {
	State         webrtc.PeerConnectionState
	Width, Height int     // of the newest remote frame
	FPS           float64 // remote frames decoded per second
	FramesDecoded uint64  // since the call began
	DecodeErrors  uint64  // since the call began
	RecvKbps      float64 // media received, audio and video
	SendKbps      float64 // everything sent, retransmissions and headers included
	// TargetKbps is the bandwidth estimate: what the link is believed to
	// carry towards the peer. VideoTargetKbps is the video encoder's share.
	TargetKbps, VideoTargetKbps float64
	SendWidth, SendHeight       int     // the video layer sent
	SendFPS                     int     // its frame rate
	ResentPct                   float64 // retransmitted share of what was sent, in percent
	// NACKs counts the lost packets asked for again and PLIs the key
	// frames asked for, both as receiver; KeyFramesForced the key frames
	// the peer's requests made this side send. All since the call began.
	NACKs, PLIs, KeyFramesForced uint64
	// Freezes counts the remote video's freezes (Chromium's definition: a
	// frame later than max(3 × the mean interval, mean + 150 ms)) and
	// FreezeTime sums them, since the call began.
	Freezes      int
	FreezeTime   time.Duration
	RTT          time.Duration // of the selected candidate pair
	Loss         float64       // fraction of received packets lost, 0–1, since the call began
	AudioPackets uint64        // decoded since the call began
	AudioDBFS    float64       // level of the last 200 ms received; -inf when silent
	AudioHz      float64       // dominant frequency of the last 200 ms received
	// AudioConcealedPct is the share of the audio played in the last
	// second that was made up for lost or late packets; AudioDelay is the
	// jitter buffer's target delay, which follows the network's jitter.
	AudioConcealedPct float64
	AudioDelay        time.Duration
	ICERestarts       int // ICE restarts in this call, begun here or by the peer
	// SentLoss is the share of our packets the peer's feedback reported
	// lost lately, 0–1.
	SentLoss float64
	// Quality is how the call is going at a glance and QualityReason whose
	// link is to blame (see quality.go); unknown while not connected.
	Quality       Quality
	QualityReason QualityReason
	// LocalCandidate and RemoteCandidate are the types of the selected
	// candidate pair: relay on a side means its media goes through TURN
	// and its own address is hidden from the peer.
	LocalCandidate, RemoteCandidate webrtc.ICECandidateType
}

// counters are bumped by the receivers.
type counters struct {
	framesDecoded atomic.Uint64
	decodeErrors  atomic.Uint64
	videoBytes    atomic.Uint64
	audioBytes    atomic.Uint64
	audioPackets  atomic.Uint64
	audioErrors   atomic.Uint64
	plis          atomic.Uint64 // key frame requests sent
}

// statsSample is what the previous sample saw, for rates.
type statsSample struct {
	at        time.Time
	frames    uint64
	recvBytes uint64
	sentBytes uint64
	resent    uint64
	played    uint64 // audio samples played
	concealed uint64 // of them made up
	lost      uint64 // packets lost of those sent to us
	received  uint64
	freeze    time.Duration // the remote video's frozen time, a stall going on included
}

// Stats returns the latest sample.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Received counts the remote video frames decoded and the audio packets
// received so far: exact now, where Stats is as of its last sample.
func (s *Session) Received() (frames, audioPackets uint64) {
	return s.counters.framesDecoded.Load(), s.counters.audioPackets.Load()
}

// sampleStats runs on the owner goroutine once a second.
func (s *Session) sampleStats() {
	now := time.Now()
	st := Stats{
		State:         s.pc.ConnectionState(),
		FramesDecoded: s.counters.framesDecoded.Load(),
		DecodeErrors:  s.counters.decodeErrors.Load(),
		AudioPackets:  s.counters.audioPackets.Load(),
		ICERestarts:   s.restart.count,
	}
	// Only once connected: before, Pion may still be starting the ICE
	// transport on its own goroutine, and reading the pair races with it.
	if ice := s.pc.ICEConnectionState(); ice == webrtc.ICEConnectionStateConnected || ice == webrtc.ICEConnectionStateCompleted {
		st.LocalCandidate, st.RemoteCandidate = s.selectedCandidateTypes()
	}
	if f := s.video.Load(); f.Image != nil {
		st.Width, st.Height = f.Image.Bounds().Dx(), f.Image.Bounds().Dy()
	}
	sent := s.path.sentBytes()
	var lost, received uint64
	var jitter time.Duration
	for _, v := range s.pc.GetStats() {
		switch r := v.(type) {
		case webrtc.InboundRTPStreamStats:
			received += uint64(r.PacketsReceived)
			if r.PacketsLost > 0 {
				lost += uint64(r.PacketsLost)
			}
			if r.Kind == "audio" {
				// Only audio's: a video frame's packets share a timestamp
				// and leave paced, which reads as jitter.
				jitter = time.Duration(r.Jitter * float64(time.Second))
			}
		case webrtc.ICECandidatePairStats:
			if r.Nominated && r.CurrentRoundTripTime > 0 {
				st.RTT = time.Duration(r.CurrentRoundTripTime * float64(time.Second))
			}
		}
	}
	if st.RTT > 0 {
		s.path.noteRTT(st.RTT)
	}
	if lost+received > 0 {
		st.Loss = float64(lost) / float64(lost+received)
	}
	recvBytes := s.counters.videoBytes.Load() + s.counters.audioBytes.Load()
	if prev := s.lastStats; !prev.at.IsZero() {
		secs := now.Sub(prev.at).Seconds()
		st.FPS = float64(st.FramesDecoded-prev.frames) / secs
		st.RecvKbps = float64(recvBytes-prev.recvBytes) * 8 / 1000 / secs
		st.SendKbps = float64(sent-prev.sentBytes) * 8 / 1000 / secs
	}
	resent := s.path.pacer.stats.resendBytes.Load()
	if d := sent - s.lastStats.sentBytes; d > 0 && !s.lastStats.at.IsZero() {
		st.ResentPct = 100 * float64(resent-s.lastStats.resent) / float64(d)
	}
	// The ladder steps up only after a hold; a steady estimate calls no
	// one back, so the allocation is looked at again every second too.
	s.alloc.apply(s.path.target(), now)
	st.Freezes, st.FreezeTime = s.freezes.totals()
	st.NACKs, st.PLIs = s.path.nacks.asked.Load(), s.counters.plis.Load()
	if v := s.sender(webrtc.RTPCodecTypeVideo); v != nil {
		st.KeyFramesForced = v.keyFrames.Load()
	}
	var played, concealed uint64
	if jb := s.jitter.Load(); jb != nil {
		js := jb.Stats()
		played, concealed, st.AudioDelay = js.Played, js.Concealed, js.Target
		if d := played - s.lastStats.played; played > s.lastStats.played {
			st.AudioConcealedPct = 100 * float64(concealed-s.lastStats.concealed) / float64(d)
		}
	}
	prev := s.lastStats
	s.lastStats = statsSample{at: now, frames: st.FramesDecoded, recvBytes: recvBytes, sentBytes: sent, resent: resent,
		played: played, concealed: concealed, lost: lost, received: received, freeze: s.freezes.frozen(now)}
	layer, videoBps, _ := s.alloc.state()
	st.TargetKbps, st.VideoTargetKbps = float64(s.path.target())/1000, float64(videoBps)/1000
	if s.capture == nil || s.capture.CameraOpen() {
		// A camera turned off in a call that began as audio sends nothing.
		st.SendWidth, st.SendHeight, st.SendFPS = layer.Width, layer.Height, layer.FPS
	}
	st.SentLoss = s.path.sentLoss()
	s.judgeQuality(&st, prev, jitter)
	if pcm := s.recent.snapshot(); pcm != nil {
		if rep, err := devices.AnalyzePCM(pcm, audioRate, audioChannels); err == nil {
			st.AudioDBFS, st.AudioHz = rep.DBFS(), rep.Frequency
		}
	}
	ps := &s.path.pacer.stats
	s.log.Debug("send path", "resent", resent, "resendsDropped", ps.resendsDropped.Load(),
		"nacksUntranslated", ps.nacksUntranslated.Load(), "padding", ps.paddingBytes.Load(), "overflows", ps.overflows.Load())
	s.mu.Lock()
	s.stats = st
	s.mu.Unlock()
	s.emit(StatsUpdated{Stats: st})
}

// judgeQuality sets st's quality from the second since prev, jitter being
// the received audio's. Owner goroutine: it feeds the session's meter.
func (s *Session) judgeQuality(st *Stats, prev statsSample, jitter time.Duration) {
	if st.State != webrtc.PeerConnectionStateConnected || prev.at.IsZero() {
		// Connecting (again): the screen says so, and what the meter saw
		// before says nothing about the new path.
		s.quality.reset()
		return
	}
	cur := s.lastStats
	var recvLoss float64
	if lost, got := cur.lost-prev.lost, cur.received-prev.received; cur.lost >= prev.lost && cur.received >= prev.received && lost+got > 0 {
		recvLoss = float64(lost) / float64(lost+got)
	}
	s.mu.Lock()
	peer := s.peer
	s.mu.Unlock()
	sample := QualitySample{
		SentLoss: st.SentLoss, RecvLoss: recvLoss, RTT: st.RTT, Jitter: jitter,
		TargetKbps: st.TargetKbps, SendingVideo: st.SendWidth > 0,
		ReceivingVideo: peer.Video && prev.frames > 0, Freeze: cur.freeze - prev.freeze,
		ReceivingAudio: peer.Audio && cur.played > prev.played, ConcealedPct: st.AudioConcealedPct,
	}
	was := s.quality.level
	st.Quality, st.QualityReason = s.quality.observe(sample)
	if st.Quality != was {
		s.log.Debug("quality", "quality", st.Quality, "reason", st.QualityReason, "sample", sample)
	}
}
