package server_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"duet/call"
	"duet/call/proto"
)

// scrape reads the server's metrics as Prometheus would.
func scrape(t *testing.T, e *env) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, rec.Body.String())
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.Metric {
			key := name
			for _, l := range m.Label {
				key += "/" + l.GetValue()
			}
			switch {
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Histogram != nil:
				out[key+"/count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// TestMetrics: what the server does shows in its metrics, read from the
// hub and the sessions while it happens.
func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	raw := dialRaw(t, e.url)
	raw.fail("nosuchtype", struct{}{}, proto.CodeUnknownType)

	m := scrape(t, e)
	for key, want := range map[string]float64{
		"duet_calls/ringing":                    1,
		"duet_calls/answered":                   0,
		"duet_signed_in_devices":                2,
		"duet_signed_in_accounts":               2,
		"duet_connections":                      3,
		"duet_messages_received_total/call":     1,
		"duet_messages_received_total/invalid":  1,
		"duet_error_replies_total/unknown_type": 1,
		"duet_call_records_waiting":             0,
	} {
		if m[key] != want {
			t.Errorf("%s = %v, want %v", key, m[key], want)
		}
	}
	if m["duet_messages_sent_total"] < 3 || m["duet_db_seconds/select/count"] == 0 {
		t.Errorf("sent %v messages and timed %v selects; want some of each",
			m["duet_messages_sent_total"], m["duet_db_seconds/select/count"])
	}

	connect(t, alice, bob, cid)
	if got := scrape(t, e)["duet_calls/answered"]; got != 1 {
		t.Errorf("answered calls: %v, want 1", got)
	}
	// Calls turned away at once end too: busy, and offline.
	carol := e.dial("carol", "c1")
	if _, err := carol.Call(ctx(t), "bob", proto.CallTypeAudio, call.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	expect[*proto.CallRejected](t, carol)
	if _, err := carol.Call(ctx(t), "dave", proto.CallTypeAudio, call.CallOptions{}); !errors.Is(err, call.ErrCalleeOffline) {
		t.Fatalf("calling dave, who is offline: %v", err)
	}
	nextRecord(t, carol) // counted before the records are written
	nextRecord(t, carol)
	m = scrape(t, e)
	if m["duet_calls_ended_total/busy"] != 1 || m["duet_calls_ended_total/offline"] != 1 {
		t.Errorf("ended busy %v, offline %v; want 1 each", m["duet_calls_ended_total/busy"], m["duet_calls_ended_total/offline"])
	}
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitRecord(t, bob, cid)
	m = scrape(t, e)
	if m["duet_calls_ended_total/hangup"] != 1 || m["duet_calls/answered"] != 0 {
		t.Errorf("after hangup: ended %v, answered %v; want 1 and 0", m["duet_calls_ended_total/hangup"], m["duet_calls/answered"])
	}
	if m["go_goroutines"] == 0 || m["process_resident_memory_bytes"] == 0 {
		t.Error("no Go runtime or process metrics")
	}
}
