package server

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SetDBPageLimit makes the server built from cfg cap its database at limit()
// pages on every write, so a test can fill the "disk" (writes fail with
// SQLITE_FULL) and free it again by raising the limit.
func SetDBPageLimit(cfg *Config, limit func() int64) { cfg.dbPageLimit = limit }

// ShutdownWait is how long Close waits for clients to take their close
// frame before it cuts them off.
const ShutdownWait = shutdownWait

// SetTokenHashCost makes new token hashes cost passes and memoryKiB until
// the test ends. The call-flow tests sign dozens of accounts in under the
// race detector, where a production-cost hash takes a third of a second;
// the token tests keep the production cost.
func SetTokenHashCost(t testing.TB, passes, memoryKiB uint32) {
	prev := hashCost.Load()
	hashCost.Store(&argonParams{time: passes, memory: memoryKiB, threads: 1})
	t.Cleanup(func() { hashCost.Store(prev) })
}

// CutCluster drops the server's link to NATS at once, as a network
// partition or a killed node would: nothing is cleaned up.
func CutCluster(s *Server) { s.cluster.nc.Close() }

// ClusterNATS is the NATS server s is connected to; "" while it has none.
func ClusterNATS(s *Server) string { return s.cluster.nc.ConnectedUrl() }

// DeviceNode is the node of s's cluster where s knows the device is
// signed in; "" for none.
func DeviceNode(s *Server, account, device string) string {
	node := make(chan string, 1)
	h := s.hub
	h.post(func() {
		switch d := h.remote[account][device]; {
		case h.devices[deviceKey{account, device}] != nil:
			node <- s.cluster.cfg.Node
		case d != nil:
			node <- d.Node
		default:
			node <- ""
		}
	})
	select {
	case n := <-node:
		return n
	case <-h.done:
		return ""
	}
}

// HasOpenCall reports whether the database holds call cid as open and,
// with inRoom, answered with both parties in its room.
func HasOpenCall(s *Server, cid string, inRoom bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	calls, _ := s.store.openCalls(ctx)
	for _, o := range calls {
		if o.CID == cid {
			return !inRoom || o.AnsweredAt != 0 && o.Caller.UID != 0 && o.Callee.UID != 0
		}
	}
	return false
}

// CallsLeft is how many calls account may place on s now, as s's bucket
// has it (on a cluster, charged with the other nodes' news too).
func CallsLeft(s *Server, account string) float64 {
	l := s.calls
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.callers.m[account]
	if b == nil {
		return float64(l.calls.Burst)
	}
	b.refill(time.Now())
	return b.tokens
}

// ForgetCallsInProgress has s forget what other nodes told it of their
// answered calls, as a node that starts during them has not heard it.
func ForgetCallsInProgress(s *Server) {
	s.cluster.mu.Lock()
	clear(s.cluster.inCall)
	s.cluster.mu.Unlock()
}

// BusyKeyKnown reports whether s's mirror of the busy bucket holds
// account's key.
func BusyKeyKnown(s *Server, account string) bool {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	_, ok := s.cluster.revs[busyKey(account)]
	return ok
}

// BusyKeyMessages is how many messages the busy bucket holds for
// account's key, and the TTL the last one carries ("" for none).
func BusyKeyMessages(s *Server, account string) (n uint64, ttl string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	subject := busySubject(busyKey(account))
	str, err := s.cluster.js.Stream(ctx, "KV_"+busyBucket)
	if err != nil {
		return 0, "", err
	}
	info, err := str.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, "", err
	}
	n = info.State.Subjects[subject]
	if n == 0 {
		return 0, "", nil
	}
	m, err := str.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		return n, "", err
	}
	return n, m.Header.Get(jetstream.MsgTTLHeader), nil
}
