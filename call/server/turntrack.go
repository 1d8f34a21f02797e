package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pion/turn/v5"
)

// connTracker follows every socket the TURN server reads from: the UDP
// socket, the TCP listener, each accepted TCP connection and each relay
// socket. pion/turn's Close only closes its listeners and does not wait for
// its goroutines; each of them is a read loop that ends on its socket's
// first read error, so counting read errors tells when all have ended.
// Safe for concurrent use.
type connTracker struct {
	readers sync.WaitGroup // one per tracked socket until its first read error

	mu      sync.Mutex
	open    map[io.Closer]struct{} // guarded by mu: accepted connections and relay sockets
	closing bool                   // guarded by mu
}

func newConnTracker() *connTracker { return &connTracker{open: map[io.Closer]struct{}{}} }

// add counts a new socket's reader; a socket that arrives while closing is
// closed at once, so its reader ends straight away.
func (t *connTracker) add(c io.Closer, owned bool) {
	t.readers.Add(1)
	t.mu.Lock()
	closing := t.closing
	if !closing && owned {
		t.open[c] = struct{}{}
	}
	t.mu.Unlock()
	if closing {
		c.Close()
	}
}

func (t *connTracker) forget(c io.Closer) {
	t.mu.Lock()
	delete(t.open, c)
	t.mu.Unlock()
}

// close closes the sockets pion/turn would leave open and waits up to
// limit for every read loop to end. It reports whether they all did.
func (t *connTracker) close(limit time.Duration) bool {
	t.mu.Lock()
	t.closing = true
	open := t.open
	t.open = map[io.Closer]struct{}{}
	t.mu.Unlock()
	for c := range open {
		c.Close()
	}
	done := make(chan struct{})
	go func() {
		t.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}

// packetConn is a tracked UDP socket: the TURN socket or a relay.
type packetConn struct {
	net.PacketConn
	t    *connTracker
	once sync.Once
}

func (t *connTracker) packetConn(c net.PacketConn, owned bool) *packetConn {
	pc := &packetConn{PacketConn: c, t: t}
	t.add(pc, owned)
	return pc
}

func (c *packetConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if err != nil {
		c.once.Do(c.t.readers.Done)
	}
	return n, addr, err
}

func (c *packetConn) Close() error {
	c.t.forget(c)
	return c.PacketConn.Close()
}

// listener is the tracked TCP listener; its connections are tracked too.
type listener struct {
	net.Listener
	t    *connTracker
	once sync.Once
}

func (t *connTracker) listener(l net.Listener) *listener {
	tl := &listener{Listener: l, t: t}
	t.add(tl, false)
	return tl
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		l.once.Do(l.t.readers.Done)
		return nil, err
	}
	tc := &conn{Conn: c, t: l.t}
	l.t.add(tc, true)
	return tc, nil
}

// conn is an accepted TCP connection: pion/turn does not close these when
// it closes, so the tracker does.
type conn struct {
	net.Conn
	t    *connTracker
	once sync.Once
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.once.Do(c.t.readers.Done)
	}
	return n, err
}

func (c *conn) Close() error {
	c.t.forget(c)
	return c.Conn.Close()
}

// relayPorts hands out UDP relay sockets within the configured port range,
// tracked; TCP relays (RFC 6062) are refused: WebRTC relays over UDP even
// when it reaches the TURN server over TCP.
type relayPorts struct {
	inner *turn.RelayAddressGeneratorPortRange
	t     *connTracker
}

var errNoTCPRelay = errors.New("TCP relay allocations are not offered")

func (g relayPorts) Validate() error { return g.inner.Validate() }

func (g relayPorts) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if c.RequestedPort != 0 && (c.RequestedPort < int(g.inner.MinPort) || c.RequestedPort > int(g.inner.MaxPort)) {
		return nil, nil, errors.New("requested relay port outside the configured range")
	}
	pc, addr, err := g.inner.AllocatePacketConn(c)
	if err != nil {
		return nil, nil, err
	}
	return g.t.packetConn(pc, true), addr, nil
}

func (g relayPorts) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

func (g relayPorts) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCPRelay
}
