package media

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// nackResponderFactory hands Pion's NACK responder the NACKs of the RTCP
// read and nothing else. The responder refuses to resend a packet twice
// within its round trip, which it learns from reception reports as the
// mean of every sample since the call began: after a congested minute
// that mean is seconds, and a resend that was lost too is never sent
// again, so the receiver's frame waits for a key frame. The receiver
// spaces its asks by the round trip (nackgen), and the pacer keeps
// resends within their budget.
type nackResponderFactory struct{ responder interceptor.Factory }

func (f nackResponderFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := f.responder.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	return &nackResponder{Interceptor: i}, nil
}

type nackResponder struct{ interceptor.Interceptor }

// BindRTCPReader passes what it reads on unchanged, and gives the
// responder its own copy holding only the NACKs, with the attributes
// (the sender's estimate, which limits its resends) but not the reports
// parsed from the read.
func (r *nackResponder) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	var nacks []byte // the copy of the read in progress; reads are sequential
	responder := r.Interceptor.BindRTCPReader(interceptor.RTCPReaderFunc(
		func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			return copy(b, nacks), a, nil
		}))
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		if attr == nil {
			attr = interceptor.Attributes{}
		}
		pkts, err := attr.GetRTCPPackets(b[:n])
		if err != nil {
			return 0, nil, err
		}
		var only []rtcp.Packet
		for _, p := range pkts {
			if nack, ok := p.(*rtcp.TransportLayerNack); ok {
				only = append(only, nack)
			}
		}
		if len(only) == 0 {
			return n, attr, nil
		}
		if nacks, err = rtcp.Marshal(only); err == nil {
			own := interceptor.Attributes{}
			for k, v := range attr {
				if _, parsed := v.([]rtcp.Packet); !parsed { // the reports, already read
					own[k] = v
				}
			}
			_, _, _ = responder.Read(make([]byte, len(nacks)), own) // resends go out through the writer it was bound to
		}
		return n, attr, nil
	})
}
