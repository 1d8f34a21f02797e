package media

import (
	"sync"
	"time"

	"duet/devices"
)

// Audio keeps its share first: its bitrate falls only when the estimate
// is too small for it and some video. On the wire each 20 ms Opus packet
// carries about 60 bytes of IP, UDP, RTP, extension and SRTP overhead.
const (
	audioOverhead = 24_000 // bits/s
	audioHigh     = 32_000
	audioLow      = 24_000  // the least at which libopus still adds in-band FEC
	audioLowBelow = 200_000 // estimate under which audio takes audioLow
	// videoShare leaves headroom under the estimate for packet overhead
	// and retransmissions.
	videoShare = 0.85
	// ladderUpHold: a layer is kept this long before stepping up, and
	// ladderUpHoldAfterDown after a step down, so a wavering estimate does
	// not flip the size back and forth (each size costs a key frame).
	// Going up twice is no flip: an estimate that a chain of probes takes
	// from 150 kbit/s to 2 Mbit/s in half a second wants full size soon.
	ladderUpHold          = time.Second
	ladderUpHoldAfterDown = 5 * time.Second
	// ladderUpMargin: stepping up waits for this much more than the
	// layer's floor; ladderDownMargin: stepping down waits for this much
	// less, so a short dip does not cost two key frames.
	ladderUpMargin   = 1.25
	ladderDownMargin = 0.8
)

// rung is one step of the video ladder: the layer sent while the video
// budget is at least floor.
type rung struct {
	height, fps int
	floor       int // bits/s
}

// ladder runs from the camera's own size (720p only when the user picked
// it) down to 240 lines at 15 fps. The floors are where VP8 still draws
// a clean picture of a busy scene at that size.
var ladder = []rung{
	{720, 30, 1_400_000},
	{480, 30, 600_000},
	{360, 30, 350_000},
	{240, 30, 130_000},
	{240, 15, 0},
}

// screenLadder is the ladder of a shared screen: detail before motion, so
// the frame rate falls first and the size only when text would no longer
// be read anyway. Its top is the screen's own size up to 1080 lines.
var screenLadder = []rung{
	{1080, 15, 1_500_000},
	{1080, 5, 700_000},
	{720, 5, 350_000},
	{720, 2, 150_000},
	{540, 2, 0},
}

// allocator splits the estimate between the senders and picks the video
// layer. Safe for concurrent use; apply never blocks (the encoders take
// their new settings at their next frame).
type allocator struct {
	audio, video *sender    // guarded by mu; nil when not sent
	resent       func() int // bits/s of resends lately, which the estimate must also carry

	mu        sync.Mutex
	rung      int       // guarded by mu: index in the ladder; -1 before the first
	screen    bool      // guarded by mu: the rung is on screenLadder
	changedAt time.Time // guarded by mu
	wentDown  bool      // guarded by mu: the last change was a step down
	videoBps  int       // guarded by mu: the encoder's target now
	audioBps  int       // guarded by mu
}

func newAllocator(audio, video *sender, resent func() int) *allocator {
	return &allocator{audio: audio, video: video, resent: resent, rung: -1}
}

// setVideo adds the video sender of a call that turned video on.
func (a *allocator) setVideo(video *sender) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.video, a.rung = video, -1
}

// apply shares target (bits/s) out.
func (a *allocator) apply(target int, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	audio := audioHigh
	if target < audioLowBelow {
		audio = audioLow
	}
	if a.audio != nil {
		if audio != a.audioBps {
			a.audio.enc.SetBitRate(audio)
		}
		a.audioBps = audio
		target -= audio + audioOverhead
	}
	if a.video == nil {
		return
	}
	// Resends come out of the video's share, as libwebrtc's protection
	// bitrate does: media and resends together stay within the estimate.
	target -= a.resent()
	budget := int(videoShare * float64(max(target, 0)))
	a.pickRungLocked(budget, now)
	a.videoBps = min(max(budget, 50_000), a.video.video.MaxBitRate())
	a.video.enc.SetBitRate(a.videoBps)
}

// pickRungLocked steps down at once when the budget is under the layer's
// floor, and up one step at a time when it has been clearly above the
// next floor for ladderUpHold.
func (a *allocator) pickRungLocked(budget int, now time.Time) {
	native := a.video.video.Native()
	steps, screen := ladder, a.video.video.Screen()
	if screen {
		steps = screenLadder
	}
	if screen != a.screen {
		a.screen, a.rung = screen, -1 // another ladder: pick afresh
	}
	top := 0
	for !screen && top < len(steps)-1 && steps[top].height > native.Height {
		top++ // a screen's rungs are clamped to its size instead
	}
	want := len(steps) - 1
	for i := top; i < len(steps); i++ {
		floor := steps[i].floor
		if i == a.rung {
			floor = int(ladderDownMargin * float64(floor))
		}
		if budget >= floor {
			want = i
			break
		}
	}
	cur := a.rung
	switch {
	case cur < 0 || cur < top:
		cur = want
	case want > cur:
		cur = want
	case want < cur && now.Sub(a.changedAt) >= a.upHoldLocked():
		// Up as far as the budget clearly carries, in one step: a call
		// that starts on a good link reaches full size in seconds.
		for cur > top && float64(budget) >= ladderUpMargin*float64(steps[cur-1].floor) {
			cur--
		}
	}
	if cur == a.rung {
		return
	}
	a.wentDown = a.rung >= 0 && cur > a.rung
	a.rung, a.changedAt = cur, now
	r := steps[cur]
	h := r.height
	if cur == top && !screen {
		h = native.Height // the camera's own size, whatever its height
	}
	a.video.video.SetLayer(devices.Layer{Height: h, FPS: r.fps})
}

// upHoldLocked is how long a layer is kept before stepping up: longer
// after a step down, so a link at the edge of a layer does not flip it.
func (a *allocator) upHoldLocked() time.Duration {
	if a.wentDown {
		return ladderUpHoldAfterDown
	}
	return ladderUpHold
}

// layer is the video layer sent now and the encoder's target.
func (a *allocator) state() (layer devices.Layer, videoBps, audioBps int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.video != nil {
		layer = a.video.video.Layer()
	}
	return layer, a.videoBps, a.audioBps
}
