package media_test

import (
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// linkConfig is an emulated path, the same both ways: a bottleneck of
// Rate bits/s (0: unlimited) with a queue of Queue of traffic at that
// rate, one-way Delay with up to Jitter more, random Loss, and bursty loss:
// BurstLoss of the packets lost in runs of about BurstLen.
type linkConfig struct {
	Rate      int
	Queue     time.Duration
	Delay     time.Duration
	Jitter    time.Duration
	Loss      float64
	BurstLoss float64
	BurstLen  int
}

// link is two hosts joined by an emulated path; SetRate changes the
// bottleneck during a call.
type link struct {
	a, b     *vnet.Net
	queues   []*vnet.TBFQueue
	mu       sync.Mutex
	rng      *rand.Rand     // guarded by mu
	burstful map[string]int // guarded by mu: packets left in a loss burst, by destination
	cfg      linkConfig
}

func newLink(t testing.TB, cfg linkConfig) *link {
	t.Helper()
	quiet := &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled,
		ScopeLevels: map[string]logging.LogLevel{}}
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.8.0.0/24", LoggerFactory: quiet,
		MinDelay: cfg.Delay, MaxJitter: cfg.Jitter})
	if err != nil {
		t.Fatal(err)
	}
	l := &link{cfg: cfg, rng: rand.New(rand.NewPCG(1, 2)), burstful: map[string]int{}}
	for _, n := range []struct {
		net **vnet.Net
		ip  string
	}{{&l.a, "10.8.0.2"}, {&l.b, "10.8.0.3"}} {
		if *n.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{n.ip}}); err != nil {
			t.Fatal(err)
		}
		var nic vnet.NIC = *n.net
		if cfg.Rate > 0 {
			// The queue shapes what arrives at this host: the other's
			// sending direction.
			tbf := vnet.NewTBFQueue(cfg.Rate, 3000, queueBytes(cfg.Rate, cfg.Queue))
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
	if cfg.Loss > 0 || cfg.BurstLoss > 0 {
		router.AddChunkFilter(l.keep)
	}
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { router.Stop() })
	return l
}

func queueBytes(rate int, d time.Duration) int64 {
	if d == 0 {
		d = 200 * time.Millisecond
	}
	return max(int64(float64(rate)/8*d.Seconds()), 3000)
}

// keep decides a chunk's fate: random loss, or a burst begun at a rate
// that makes BurstLoss of the packets lost overall.
func (l *link) keep(c vnet.Chunk) bool {
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
	return l.rng.Float64() >= l.cfg.Loss
}

// SetRate changes the bottleneck's rate both ways.
func (l *link) SetRate(rate int) {
	for _, q := range l.queues {
		q.SetRate(rate)
	}
}
