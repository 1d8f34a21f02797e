// Package vnetlink joins two virtual hosts (pion's vnet) by an emulated
// path with a bottleneck, delay, jitter and loss, for tests that run calls
// over a bad network.
package vnetlink

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// Config is an emulated path, the same both ways: a bottleneck of Rate
// bits/s (0: unlimited) with a queue of Queue of traffic at that rate,
// one-way Delay with up to Jitter more, random Loss, and bursty loss:
// BurstLoss of the packets lost in runs of about BurstLen.
type Config struct {
	Rate      int
	Queue     time.Duration
	Delay     time.Duration
	Jitter    time.Duration
	Loss      float64
	BurstLoss float64
	BurstLen  int
}

// Link is two hosts, A (10.8.0.2) and B (10.8.0.3), joined by an emulated
// path; SetRate and SetLossTo change it during a call. Safe for concurrent
// use; the test's cleanup stops it.
type Link struct {
	A, B     *vnet.Net
	queues   []*vnet.TBFQueue
	mu       sync.Mutex
	rng      *rand.Rand         // guarded by mu
	burstful map[string]int     // guarded by mu: packets left in a loss burst, by destination
	lossTo   map[string]float64 // guarded by mu: extra loss one way, by destination IP
	cfg      Config
}

const ipA, ipB = "10.8.0.2", "10.8.0.3"

// New starts a link; t's cleanup stops it.
func New(t testing.TB, cfg Config) *Link {
	t.Helper()
	quiet := &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled,
		ScopeLevels: map[string]logging.LogLevel{}}
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.8.0.0/24", LoggerFactory: quiet,
		MinDelay: cfg.Delay, MaxJitter: cfg.Jitter})
	if err != nil {
		t.Fatal(err)
	}
	l := &Link{cfg: cfg, rng: rand.New(rand.NewPCG(1, 2)), burstful: map[string]int{}, lossTo: map[string]float64{}}
	for _, n := range []struct {
		net **vnet.Net
		ip  string
	}{{&l.A, ipA}, {&l.B, ipB}} {
		if *n.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{n.ip}}); err != nil {
			t.Fatal(err)
		}
		var nic vnet.NIC = *n.net
		if cfg.Rate > 0 {
			// The queue shapes what arrives at this host: the other's
			// sending direction.
			tbf := vnet.NewTBFQueue(cfg.Rate, burstBytes(cfg.Rate), queueBytes(cfg.Rate, cfg.Queue))
			q, err := vnet.NewQueue(nic, tbf)
			if err != nil {
				t.Fatal(err)
			}
			l.queues = append(l.queues, tbf)
			t.Cleanup(func() { q.Close() })
			nic = q
		}
		if err := router.AddNet(nic); err != nil {
			t.Fatal(err)
		}
	}
	// Always filtered: SetLossTo may add loss during the call.
	router.AddChunkFilter(l.keep)
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { router.Stop() })
	return l
}

// burstBytes is how much the bottleneck passes at once after a pause:
// 20 ms at its rate, as a home router's shaper does. The queue is a
// goroutine that lets one packet through each time it runs; with a bucket
// of only a couple of packets, a busy machine that runs it late would take
// capacity from the link.
func burstBytes(rate int) int {
	return max(rate/8/50, 3000)
}

func queueBytes(rate int, d time.Duration) int64 {
	if d == 0 {
		d = 200 * time.Millisecond
	}
	return max(int64(float64(rate)/8*d.Seconds()), 3000)
}

// keep decides a chunk's fate: random loss, or a burst begun at a rate
// that makes BurstLoss of the packets lost overall.
func (l *Link) keep(c vnet.Chunk) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	dst := c.DestinationAddr().String()
	if l.cfg.BurstLoss > 0 {
		if left := l.burstful[dst]; left > 0 {
			l.burstful[dst] = left - 1
			return false
		}
		if l.rng.Float64() < l.cfg.BurstLoss/float64(l.cfg.BurstLen) {
			l.burstful[dst] = l.cfg.BurstLen - 1
			return false
		}
	}
	loss := l.cfg.Loss
	if extra, ok := l.lossTo[ipOf(c)]; ok {
		loss = max(loss, extra)
	}
	return loss == 0 || l.rng.Float64() >= loss
}

// ipOf is the IP a chunk goes to.
func ipOf(c vnet.Chunk) string {
	if a, ok := c.DestinationAddr().(*net.UDPAddr); ok {
		return a.IP.String()
	}
	if a, ok := c.DestinationAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return ""
}

// SetRate changes the bottleneck's rate both ways, and its burst with it.
func (l *Link) SetRate(rate int) {
	for _, q := range l.queues {
		q.SetRate(rate)
		q.SetBurst(burstBytes(rate))
	}
}

// SetLossTo loses this share of the packets sent to host (A or B): one
// way only, the other host's uplink gone bad. Zero restores the link.
func (l *Link) SetLossTo(host *vnet.Net, loss float64) {
	ip := ipA
	if host == l.B {
		ip = ipB
	}
	l.mu.Lock()
	l.lossTo[ip] = loss
	l.mu.Unlock()
}
