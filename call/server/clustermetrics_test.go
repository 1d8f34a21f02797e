package server_test

import (
	"strings"
	"testing"

	"duet/call/proto"
)

// TestClusterMetrics: a call across nodes shows in both nodes' cluster
// metrics; a server on its own has none.
func TestClusterMetrics(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	alice, bob := aliceSeesBob(t, nodes[0], nodes[1])
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitRecord(t, bob, cid)

	owner, other := scrape(t, nodes[0]), scrape(t, nodes[1])
	for _, c := range []struct {
		node string
		m    map[string]float64
		key  string
	}{
		{"n1", owner, "duet_cluster_messages_sent_total/dev"},
		{"n1", owner, "duet_cluster_messages_received_total/req"},
		{"n1", owner, "duet_cluster_busy_claim_seconds/count"},
		{"n1", owner, "duet_cluster_nats_rtt_seconds"},
		{"n2", other, "duet_cluster_messages_received_total/dev"},
		{"n2", other, "duet_cluster_messages_sent_total/req"},
		{"n2", other, "duet_cluster_nats_rtt_seconds"},
		{"n2", other, "duet_cluster_early_ring_wait_seconds/count"}, // bob's ring
	} {
		if c.m[c.key] <= 0 {
			t.Errorf("%s: %s = %v, want more than 0", c.node, c.key, c.m[c.key])
		}
	}
	for _, m := range []map[string]float64{owner, other} {
		if m["duet_cluster_fenced"] != 0 || m["duet_cluster_takeovers_total"] != 0 {
			t.Errorf("fenced %v, takeovers %v; want none", m["duet_cluster_fenced"], m["duet_cluster_takeovers_total"])
		}
		if _, ok := m["duet_cluster_fenced"]; !ok {
			t.Error("no duet_cluster_fenced")
		}
	}

	for key := range scrape(t, newEnv(t, nil)) {
		if strings.HasPrefix(key, "duet_cluster_") {
			t.Errorf("a server on its own has %s", key)
		}
	}
}
