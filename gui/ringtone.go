package gui

import (
	"context"
	"log/slog"
	"time"

	"duet/assets"
	"duet/devices"
)

// ringtone is the decoded ring sound.
type ringtone struct {
	pcm      []int16 // interleaved
	rate     int
	channels int
	stop     context.CancelFunc // ends the ringing in progress; UI thread
}

func loadRingtone(log *slog.Logger) ringtone {
	pcm, f, err := devices.DecodeWAV(assets.RingtoneWAV)
	if err != nil {
		log.Error("ringtone unusable; calls will ring silently", "err", err)
	}
	return ringtone{pcm: pcm, rate: f.SampleRate, channels: f.Channels}
}

// Ring pacing: keep about ringLead of sound queued, topping up every
// ringTick; a second of quiet separates the rings.
const (
	ringTick  = 20 * time.Millisecond
	ringLead  = 120 * time.Millisecond
	ringPause = time.Second
)

// startRinging plays the ringtone on the chosen speaker until stopRinging.
// Without a speaker (headless, no sound card) it logs and stays silent.
// UI thread.
func (u *ui) startRinging() {
	u.stopRinging()
	rt := u.ringtone
	if len(rt.pcm) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(u.ctx)
	u.ringtone.stop = cancel
	speaker := u.settings.get().SpeakerID
	log := u.log
	u.goBG(func(context.Context) { playRing(ctx, speaker, rt, log) })
}

func (u *ui) stopRinging() {
	if u.ringtone.stop != nil {
		u.ringtone.stop()
		u.ringtone.stop = nil
	}
}

func playRing(ctx context.Context, speaker string, rt ringtone, log *slog.Logger) {
	pb, err := devices.OpenPlayback(speaker, rt.rate, rt.channels, log)
	if err != nil {
		log.Info("ringing silently: no speaker", "err", err)
		return
	}
	defer pb.Close()
	// The ring and its pause, looped.
	loop := append(append([]int16(nil), rt.pcm...), make([]int16, int(ringPause.Seconds()*float64(rt.rate))*rt.channels)...)
	chunk := int(ringTick.Seconds()*float64(rt.rate)) * rt.channels
	tick := time.NewTicker(ringTick)
	defer tick.Stop()
	pos := 0
	for {
		for pb.Stats().Buffered < ringLead {
			end := min(pos+chunk, len(loop))
			if err := pb.Write(loop[pos:end]); err != nil {
				return
			}
			pos = end % len(loop)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
