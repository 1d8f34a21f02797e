package media

import (
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// sentBytes counts the RTP payload bytes the local tracks hand to the
// transport, the outbound side of the stats. Pion's GetStats reports no
// outbound-rtp streams and keeps its stats interceptor's getter private, so
// the send rate is measured here, by one more interceptor in the chain.
type sentBytes struct {
	interceptor.NoOp
	n atomic.Uint64
}

// BindLocalStream wraps every local stream's writer; only writes that
// succeed count.
func (s *sentBytes) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		n, err := w.Write(h, payload, a)
		if err == nil {
			s.n.Add(uint64(len(payload)))
		}
		return n, err
	})
}

func (s *sentBytes) load() uint64 { return s.n.Load() }

// sentBytesFactory hands the registry the one counter of a peer connection.
type sentBytesFactory struct{ c *sentBytes }

func (f sentBytesFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return f.c, nil }
