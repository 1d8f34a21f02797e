package web_test

import (
	"reflect"
	"testing"
)

// qualityVerdictsJS runs the page's quality classifier and meter on made-up
// seconds, as call/media/quality_test.go runs the desktop app's.
const qualityVerdictsJS = `(() => {
	const { classify, QualityMeter } = window.duet.quality;
	const good = { sentLoss: 0, rttMs: 40, jitterMs: 5, recvLoss: 0, sendingVideo: true, targetKbps: 1500,
		receivingVideo: true, freezeMs: 0, receivingAudio: true, concealedPct: 0 };
	const theirLoss = { ...good, recvLoss: 0.2 };
	const m = new QualityMeter();
	return {
		good: classify(good),
		theirLoss: classify(theirLoss),
		myRoundTrip: classify({ ...good, rttMs: 400 }),
		theirStalls: classify({ ...good, freezeMs: 700, sentLoss: 0.04 }),
		lowEstimateWithoutVideo: classify({ ...good, sendingVideo: false, targetKbps: 50 }),
		unreported: classify({ receivingVideo: true, receivingAudio: true }),
		shown: [good, good, theirLoss, good, theirLoss, theirLoss, good, good, good, good, good].map((s) => m.observe(s).level),
	};
})()`

type qualityVerdict struct {
	Level  int    `json:"level"`
	Reason string `json:"reason"`
}

// checkQualityVerdicts: the page judges a second as the desktop app does
// (the worst signal, blamed on the side it belongs to) and shows a worse
// verdict after 2 seconds and a better one after 5.
func checkQualityVerdicts(t *testing.T, p *page) {
	const good, fair, poor = 1, 2, 3
	var got struct {
		Good, TheirLoss, MyRoundTrip, TheirStalls, LowEstimateWithoutVideo, Unreported qualityVerdict
		Shown                                                                          []int
	}
	p.in(t).eval(qualityVerdictsJS, &got)
	for _, c := range []struct {
		name      string
		got, want qualityVerdict
	}{
		{"a clean second", got.Good, qualityVerdict{good, ""}},
		{"20 % of their packets lost", got.TheirLoss, qualityVerdict{poor, "remote"}},
		{"a 400 ms round trip", got.MyRoundTrip, qualityVerdict{fair, "local"}},
		{"their video stalled 700 ms, 4 % of ours lost", got.TheirStalls, qualityVerdict{poor, "remote"}},
		{"a low estimate while sending no video", got.LowEstimateWithoutVideo, qualityVerdict{good, ""}},
		{"nothing reported", got.Unreported, qualityVerdict{good, ""}},
	} {
		if c.got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if want := []int{0, good, good, good, good, poor, poor, poor, poor, poor, good}; !reflect.DeepEqual(got.Shown, want) {
		t.Errorf("levels shown %v, want %v", got.Shown, want)
	}
}

// qualityShownJS is the indicator's verdict on the call in progress.
const qualityShownJS = `document.getElementById('quality').dataset.level !== 'unknown'`

// waitQualityShown waits for the indicator to judge the call in progress,
// on loopback, and fails if it calls it poor.
func waitQualityShown(t *testing.T, p *page) {
	p.waitFor("a quality verdict", qualityShownJS)
	level := p.string(`document.getElementById('quality').dataset.level + ': ' + document.getElementById('quality').textContent`)
	t.Logf("%s shows %s", p.name, level)
	if p.string(`document.getElementById('quality').dataset.level`) == "poor" {
		t.Errorf("a call on loopback shown as %s", level)
	}
}
