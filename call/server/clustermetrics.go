package server

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// clusterMetrics are a cluster node's own Prometheus metrics
// (docs/operations.md): what crosses to and from other nodes, how long
// NATS takes, takeovers and fencing. A server on its own has none. Safe
// for concurrent use.
type clusterMetrics struct {
	sent, received *prometheus.CounterVec // by subject kind: dev, req, resume
	takeovers      prometheus.Counter
	ringsDropped   prometheus.Counter
	claim          prometheus.Histogram
	ringWait       prometheus.Histogram
	rtt            atomic.Int64 // the last NATS round trip measured, in ns; 0: none yet
}

// Kinds of message between nodes, by subject (clusterroute.go, resume.go).
const (
	kindDev    = "dev"
	kindReq    = "req"
	kindResume = "resume"
	kindLimits = "limits"
)

func newClusterMetrics() *clusterMetrics {
	return &clusterMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duet_cluster_messages_sent_total", Help: "Messages sent to other nodes, by kind " +
				"(dev: replies and events for their devices; req: requests about calls they own; resume: a device's call asked back; " +
				"limits: what this node charged to per-account limits, its relays per account, and its answered calls)."},
			[]string{"kind"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duet_cluster_messages_received_total", Help: "Messages received from other nodes, by kind (as sent)."},
			[]string{"kind"}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "duet_cluster_takeovers_total", Help: "Calls of a lost node this node took over."}),
		ringsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "duet_cluster_early_rings_dropped_total", Help: "Early rings for this node's devices dropped: " +
				"their call lost a busy key to another, or was not confirmed in time (clustergate.go)."}),
		claim: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "duet_cluster_busy_claim_seconds", Help: "Time taking a new call's busy keys in JetStream took.",
			Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5}}),
		ringWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "duet_cluster_early_ring_wait_seconds", Help: "Time an early ring for a device here waited for " +
				"this node's watch to show its call's busy keys, or for the owner's confirmation (clustergate.go).",
			Buckets: []float64{0, .0001, .0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5}}),
	}
}

// registerCluster adds the metrics of c to the registry.
func (m *metrics) registerCluster(c *cluster) {
	cm := c.metrics
	m.registry.MustRegister(cm.sent, cm.received, cm.takeovers, cm.ringsDropped, cm.claim, cm.ringWait,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "duet_cluster_nats_rtt_seconds", Help: "The last round trip to the NATS server, measured every third of the node TTL."},
			func() float64 { return time.Duration(cm.rtt.Load()).Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "duet_cluster_fenced", Help: "1 while this node is cut off from NATS and refuses clients."},
			func() float64 {
				if c.fenced.Load() {
					return 1
				}
				return 0
			}))
}
