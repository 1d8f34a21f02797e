package media

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"duet/call/leaktest"
)

// A packet asked for again is resent again, even after reception reports
// told of a round trip of seconds earlier in the call: Pion's responder
// alone averages every report since the call began and refuses a second
// resend within that.
func TestNACKResponderAnswersEachAsk(t *testing.T) {
	leaktest.Check(t)
	pion, err := nack.NewResponderInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	r, err := nackResponderFactory{pion}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	var mu sync.Mutex
	var resent []uint16
	info := &interceptor.StreamInfo{SSRC: 7, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	sent := 0
	w := r.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if sent++; sent > 10 {
			resent = append(resent, h.SequenceNumber)
		}
		return 0, nil
	}))
	for seq := uint16(1); seq <= 10; seq++ {
		if _, err := w.Write(&rtp.Header{Version: 2, SSRC: 7, SequenceNumber: seq}, []byte{1}, nil); err != nil {
			t.Fatal(err)
		}
	}

	var next []byte
	read := r.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, next), a, nil
	}))
	feed := func(pkts ...rtcp.Packet) {
		t.Helper()
		if next, err = rtcp.Marshal(pkts); err != nil {
			t.Fatal(err)
		}
		if _, _, err := read.Read(make([]byte, 1500), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Reports of a 3 s round trip, as in a congested minute.
	for range 5 {
		feed(&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{{SSRC: 7, LastSenderReport: ntp32(time.Now().Add(-3 * time.Second))}}})
	}
	ask := &rtcp.TransportLayerNack{SenderSSRC: 9, MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{4})}
	resends := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(resent)
	}
	// Asked, and asked again as the receiver does a round trip later
	// when the resend was lost too: resends are sent asynchronously.
	feed(ask)
	deadline := time.Now().Add(time.Second)
	for resends() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if resends() == 1 {
			feed(&rtcp.ReceiverReport{SSRC: 9}, ask)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(resent) < 2 || resent[0] != 4 || resent[1] != 4 {
		t.Fatalf("resent %v for two asks of packet 4 within a second", resent)
	}
}

// ntp32 is t in the middle 32 bits of NTP's format, as reception reports
// carry the last sender report's time.
func ntp32(t time.Time) uint32 {
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return uint32((secs<<32 | frac) >> 16)
}
