package gui

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
	pcm, rate, ch, err := decodeWAV(assets.RingtoneWAV)
	if err != nil {
		log.Error("ringtone unusable; calls will ring silently", "err", err)
	}
	return ringtone{pcm: pcm, rate: rate, channels: ch}
}

// decodeWAV reads 16-bit PCM from a RIFF/WAVE file.
func decodeWAV(b []byte) (pcm []int16, rate, channels int, err error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, 0, errors.New("decode wav: not a RIFF/WAVE file")
	}
	var haveFmt bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		if size > len(body) {
			return nil, 0, 0, fmt.Errorf("decode wav: chunk %q of %d bytes overruns the file", id, size)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, 0, errors.New("decode wav: short fmt chunk")
			}
			format, bits := binary.LittleEndian.Uint16(body[0:]), binary.LittleEndian.Uint16(body[14:])
			channels, rate = int(binary.LittleEndian.Uint16(body[2:])), int(binary.LittleEndian.Uint32(body[4:]))
			if format != 1 || bits != 16 {
				return nil, 0, 0, fmt.Errorf("decode wav: format %d with %d bits; want 16-bit PCM", format, bits)
			}
			if channels < 1 || channels > 2 || rate < 8000 || rate > 192000 {
				return nil, 0, 0, fmt.Errorf("decode wav: %d channels at %d Hz not supported", channels, rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, 0, errors.New("decode wav: data before fmt")
			}
			pcm = make([]int16, size/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, channels, nil
		}
		p += 8 + size + size%2 // chunks are padded to even sizes
	}
	return nil, 0, 0, errors.New("decode wav: no data chunk")
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
