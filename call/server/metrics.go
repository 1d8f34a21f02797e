package server

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"duet/call/proto"
)

// metrics are the server's Prometheus metrics (docs/operations.md lists
// them). Counters are updated where things happen; the gauges of call
// state are read from the hub when scraped, so the hub stays the only
// owner of that state. Safe for concurrent use.
type metrics struct {
	registry   *prometheus.Registry
	received   *prometheus.CounterVec
	sent       prometheus.Counter
	errors     *prometheus.CounterVec
	callsEnded *prometheus.CounterVec
	db         *prometheus.HistogramVec
	dbErrors   *prometheus.CounterVec
}

// hubScrapeTimeout bounds how long a scrape waits for the hub: a scrape
// must not hang when the hub is stuck, it reports the rest.
const hubScrapeTimeout = 2 * time.Second

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duet_messages_received_total", Help: "Requests received from clients, by type (invalid: could not be decoded)."},
			[]string{"type"}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "duet_messages_sent_total", Help: "Replies and events queued to clients."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duet_error_replies_total", Help: "Error replies sent to clients, by error code."},
			[]string{"code"}),
		callsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duet_calls_ended_total", Help: "Calls ended, by the reason they ended."},
			[]string{"reason"}),
		db: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "duet_db_seconds", Help: "Time database statements took, by kind of statement.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}},
			[]string{"statement"}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duet_db_errors_total", Help: "Database statements that failed, by fault (see the server's log for advice)."},
			[]string{"fault"}),
	}
	m.registry.MustRegister(m.received, m.sent, m.errors, m.callsEnded, m.db, m.dbErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "duet_connections", Help: "Open websocket connections, signed in or not."},
			func() float64 { return float64(len(s.openSessions())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "duet_call_records_waiting", Help: "Call records not yet written to the database."},
			func() float64 { return float64(s.recorder.waiting()) }),
		&hubCollector{s: s})
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// observeDB times one statement; what it failed with, if it did, counts
// by fault.
func (m *metrics) observeDB(query string, start time.Time, err error) {
	m.db.WithLabelValues(statementKind(query)).Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, context.Canceled) {
		m.dbErrors.WithLabelValues(classifyDB(err).String()).Inc()
	}
}

// statementKind is a statement's first keyword, or for one that begins
// WITH the first write it makes: a label with few values.
func statementKind(query string) string {
	f := strings.Fields(query)
	if len(f) == 0 {
		return "other"
	}
	switch k := strings.ToLower(f[0]); k {
	case "select", "insert", "update", "delete", "begin", "commit":
		return k
	case "with":
		for _, w := range f[1:] {
			if w := strings.ToLower(strings.TrimLeft(w, "(")); w == "insert" || w == "update" || w == "delete" {
				return w
			}
		}
		return "select"
	}
	return "other"
}

func (m *metrics) request(typ string) { m.received.WithLabelValues(typ).Inc() }

func (m *metrics) errorReply(code proto.Code) { m.errors.WithLabelValues(string(code)).Inc() }

// hubCollector reads the hub's state when scraped.
type hubCollector struct{ s *Server }

var (
	callsDesc = prometheus.NewDesc("duet_calls", "Calls in progress, by state "+
		"(ringing; answered; reconnecting: answered, with a party's device away).", []string{"state"}, nil)
	devicesDesc  = prometheus.NewDesc("duet_signed_in_devices", "Devices signed in.", nil, nil)
	accountsDesc = prometheus.NewDesc("duet_signed_in_accounts", "Accounts with at least one device signed in.", nil, nil)
)

func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- callsDesc
	ch <- devicesDesc
	ch <- accountsDesc
}

type hubSnapshot struct {
	ringing, answered, reconnecting, devices, accounts int
}

func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.s.hub
	if h == nil { // still starting
		return
	}
	got := make(chan hubSnapshot, 1)
	go h.post(func() { got <- h.snapshot() }) // post may wait on a full queue

	select {
	case s := <-got:
		ch <- prometheus.MustNewConstMetric(callsDesc, prometheus.GaugeValue, float64(s.ringing), "ringing")
		ch <- prometheus.MustNewConstMetric(callsDesc, prometheus.GaugeValue, float64(s.answered), "answered")
		ch <- prometheus.MustNewConstMetric(callsDesc, prometheus.GaugeValue, float64(s.reconnecting), "reconnecting")
		ch <- prometheus.MustNewConstMetric(devicesDesc, prometheus.GaugeValue, float64(s.devices))
		ch <- prometheus.MustNewConstMetric(accountsDesc, prometheus.GaugeValue, float64(s.accounts))
	case <-time.After(hubScrapeTimeout):
		ch <- prometheus.NewInvalidMetric(callsDesc, errors.New("the hub did not answer in time"))
	case <-h.done:
	}
}

// snapshot counts the hub's state; runs on the hub.
func (h *hub) snapshot() hubSnapshot {
	s := hubSnapshot{devices: len(h.devices), accounts: len(h.accounts)}
	for _, c := range h.calls {
		switch {
		case !c.answered():
			s.ringing++
		case c.callerParty.sess == nil || c.calleeParty.sess == nil:
			s.reconnecting++
		default:
			s.answered++
		}
	}
	return s
}
