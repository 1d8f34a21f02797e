package devices

import (
	"errors"
	"testing"
	"time"
)

// Headless machines (CI) cannot open a speaker: the error must say so
// clearly and match ErrNoSpeaker. Where a speaker exists, play 200 ms.
func TestOpenPlayback(t *testing.T) {
	checkGoroutines(t)
	p, err := OpenPlayback("", 48000, 1, nil)
	if err != nil {
		if !errors.Is(err, ErrNoSpeaker) {
			t.Fatalf("OpenPlayback: %v, want an error matching ErrNoSpeaker", err)
		}
		var de *DeviceError
		if !errors.As(err, &de) || de.Kind != KindSpeaker {
			t.Fatalf("OpenPlayback error %T is not a speaker *DeviceError", err)
		}
		mustContain(t, err.Error(), "continues without sound")
		t.Logf("no speaker (expected headless): %v", err)
		return
	}
	if err := p.Write(sine(440, 0.1, 48000, 1, 9600, 0)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	t.Logf("stats %+v", p.Stats())
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Write([]int16{1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestOpenPlaybackBadArgs(t *testing.T) {
	if _, err := OpenPlayback("no-such-speaker", 48000, 2, nil); !errors.Is(err, ErrNoSpeaker) {
		t.Errorf("unknown speaker: %v, want ErrNoSpeaker", err)
	}
	if _, err := OpenPlayback("", 48000, 3, nil); !errors.Is(err, ErrNoSpeaker) || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("3 channels: %v, want ErrNoSpeaker and ErrInvalidConfig", err)
	}
}
