package media

import (
	"testing"
	"time"
)

func TestQualityString(t *testing.T) {
	for q, want := range map[Quality]string{QualityUnknown: "unknown", QualityGood: "good", QualityFair: "fair",
		QualityPoor: "poor", Quality(9): "Quality(9)"} {
		if got := q.String(); got != want {
			t.Errorf("%d: %q, want %q", int(q), got, want)
		}
	}
	for r, want := range map[QualityReason]string{ReasonNone: "none", ReasonLocal: "local", ReasonRemote: "remote",
		QualityReason(9): "QualityReason(9)"} {
		if got := r.String(); got != want {
			t.Errorf("%d: %q, want %q", int(r), got, want)
		}
	}
}

// healthy is a good second of a video call.
func healthy() QualitySample {
	return QualitySample{RTT: 40 * time.Millisecond, Jitter: 5 * time.Millisecond, TargetKbps: 1200, SendingVideo: true,
		ReceivingVideo: true, ReceivingAudio: true}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tune   func(*QualitySample)
		q      Quality
		reason QualityReason
	}{
		{"healthy", func(*QualitySample) {}, QualityGood, ReasonNone},
		{"sent loss under fair", func(s *QualitySample) { s.SentLoss = 0.029 }, QualityGood, ReasonNone},
		{"sent loss fair", func(s *QualitySample) { s.SentLoss = 0.03 }, QualityFair, ReasonLocal},
		{"sent loss poor", func(s *QualitySample) { s.SentLoss = 0.10 }, QualityPoor, ReasonLocal},
		{"received loss fair", func(s *QualitySample) { s.RecvLoss = 0.05 }, QualityFair, ReasonRemote},
		{"received loss poor", func(s *QualitySample) { s.RecvLoss = 0.2 }, QualityPoor, ReasonRemote},
		{"rtt fair", func(s *QualitySample) { s.RTT = 300 * time.Millisecond }, QualityFair, ReasonLocal},
		{"rtt poor", func(s *QualitySample) { s.RTT = 800 * time.Millisecond }, QualityPoor, ReasonLocal},
		{"jitter under fair", func(s *QualitySample) { s.Jitter = 29 * time.Millisecond }, QualityGood, ReasonNone},
		{"jitter fair", func(s *QualitySample) { s.Jitter = 30 * time.Millisecond }, QualityFair, ReasonRemote},
		{"jitter poor", func(s *QualitySample) { s.Jitter = 75 * time.Millisecond }, QualityPoor, ReasonRemote},
		{"estimate fair", func(s *QualitySample) { s.TargetKbps = 349 }, QualityFair, ReasonLocal},
		{"estimate poor", func(s *QualitySample) { s.TargetKbps = 149 }, QualityPoor, ReasonLocal},
		{"low estimate in an audio call", func(s *QualitySample) {
			s.TargetKbps, s.SendingVideo, s.ReceivingVideo = 60, false, false
		}, QualityGood, ReasonNone},
		{"freeze fair", func(s *QualitySample) { s.Freeze = 300 * time.Millisecond }, QualityFair, ReasonRemote},
		{"freeze poor", func(s *QualitySample) { s.Freeze = 600 * time.Millisecond }, QualityPoor, ReasonRemote},
		{"no freeze with the peer's camera off", func(s *QualitySample) { s.Freeze, s.ReceivingVideo = time.Second, false },
			QualityGood, ReasonNone},
		{"concealed fair", func(s *QualitySample) { s.ConcealedPct = 8 }, QualityFair, ReasonRemote},
		{"concealed poor", func(s *QualitySample) { s.ConcealedPct = 20 }, QualityPoor, ReasonRemote},
		{"concealed with the peer muted", func(s *QualitySample) { s.ConcealedPct, s.ReceivingAudio = 100, false },
			QualityGood, ReasonNone},
		{"worse side wins", func(s *QualitySample) { s.SentLoss, s.RecvLoss = 0.05, 0.2 }, QualityPoor, ReasonRemote},
		{"tie blames ours", func(s *QualitySample) { s.SentLoss, s.RecvLoss = 0.2, 0.2 }, QualityPoor, ReasonLocal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := healthy()
			tc.tune(&s)
			if q, r := classify(s); q != tc.q || r != tc.reason {
				t.Errorf("classify = %v, %v; want %v, %v", q, r, tc.q, tc.reason)
			}
		})
	}
}

// TestQualityMeterHysteresis: worse shows after two seconds, better after
// five, and a single odd second changes nothing.
func TestQualityMeterHysteresis(t *testing.T) {
	good := healthy()
	remotePoor, localPoor, remoteFair := healthy(), healthy(), healthy()
	remotePoor.RecvLoss, localPoor.SentLoss, remoteFair.RecvLoss = 0.2, 0.2, 0.05
	type step struct {
		in     QualitySample
		q      Quality
		reason QualityReason
	}
	// goodCall and poorCall are the first two seconds of a call that
	// began good or poor.
	goodCall := []step{{good, QualityUnknown, ReasonNone}, {good, QualityGood, ReasonNone}}
	poorCall := []step{{remotePoor, QualityUnknown, ReasonNone}, {remotePoor, QualityPoor, ReasonRemote}}
	then := func(start []step, more ...step) []step { return append(append([]step(nil), start...), more...) }
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"the first verdict waits two seconds", goodCall},
		{"a rough first second does not stick", []step{
			{remotePoor, QualityUnknown, ReasonNone}, {good, QualityGood, ReasonNone},
		}},
		{"one bad second is ignored", then(goodCall,
			step{remotePoor, QualityGood, ReasonNone}, step{good, QualityGood, ReasonNone},
			step{remotePoor, QualityGood, ReasonNone}, step{good, QualityGood, ReasonNone})},
		{"two bad seconds worsen", then(goodCall,
			step{remotePoor, QualityGood, ReasonNone}, step{remotePoor, QualityPoor, ReasonRemote})},
		{"a mixed bad run takes its mildest level", then(goodCall,
			step{remotePoor, QualityGood, ReasonNone}, step{remoteFair, QualityFair, ReasonRemote})},
		{"five good seconds improve", then(poorCall,
			step{good, QualityPoor, ReasonRemote}, step{good, QualityPoor, ReasonRemote},
			step{good, QualityPoor, ReasonRemote}, step{good, QualityPoor, ReasonRemote},
			step{good, QualityGood, ReasonNone})},
		{"a bad second restarts the recovery", then(poorCall,
			step{good, QualityPoor, ReasonRemote}, step{good, QualityPoor, ReasonRemote},
			step{good, QualityPoor, ReasonRemote}, step{good, QualityPoor, ReasonRemote},
			step{remotePoor, QualityPoor, ReasonRemote}, step{good, QualityPoor, ReasonRemote})},
		{"recovery goes to the worst level of its run", then(poorCall,
			step{good, QualityPoor, ReasonRemote}, step{remoteFair, QualityPoor, ReasonRemote},
			step{good, QualityPoor, ReasonRemote}, step{good, QualityPoor, ReasonRemote},
			step{good, QualityFair, ReasonRemote})},
		{"the blame moves after two seconds", then(poorCall,
			step{localPoor, QualityPoor, ReasonRemote}, step{localPoor, QualityPoor, ReasonLocal})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m qualityMeter
			for i, st := range tc.steps {
				if q, r := m.observe(st.in); q != st.q || r != st.reason {
					t.Fatalf("second %d: %v, %v; want %v, %v", i+1, q, r, st.q, st.reason)
				}
			}
		})
	}
}
