package server

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names that do not exist. A call's busy keys are taken while the
// database looks the callee up, so a call to a name nobody has takes a
// key for that name. Freed as usual, the key would stay in the bucket, and
// in every node's mirror, for good: calls to made-up names would grow both
// without end. Instead the key is purged, at the revision that took it,
// with a marker that JetStream drops after busyMarkerTTL, and every node
// forgets the key when its watch shows the purge. A later claim of the
// name finds the marker, or nothing, and takes it as free.

// busyMarkerTTL is how long a purged key's marker stays in the bucket.
const busyMarkerTTL = time.Minute

// forgetName frees the keys of call cid, placed to callee, a name that
// does not exist: callee's key is purged, the caller's released as for any
// call that never rang. Never waits.
func (c *cluster) forgetName(cid string, claims []busyClaim, callee string) {
	var free []busyClaim
	for _, cl := range claims {
		if cl.key == busyKey(callee) {
			c.enqueue(outbound{purge: []busyClaim{cl}})
		} else {
			free = append(free, cl)
		}
	}
	c.release(cid, free)
}

// purgeBusyAsync purges cl's key if its revision is still cl.rev, as the
// bucket's own Purge does, without waiting for the ack: no message waits
// for a name nobody has. Called by sendOut.
func (c *cluster) purgeBusyAsync(cl busyClaim) {
	m := nats.NewMsg(busySubject(cl.key))
	m.Header.Set(kvOperationHeader, "PURGE")
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(cl.rev, 10))
	if _, err := c.js.PublishMsgAsync(m, jetstream.WithMsgTTL(busyMarkerTTL)); err != nil {
		c.log.Warn("cluster: purge busy key", "key", cl.key, "err", err)
	}
}

// forgetKeyLocked drops what this node knows of a purged key. c.mu held.
func (c *cluster) forgetKeyLocked(key string) {
	delete(c.revs, key)
	delete(c.inCall, key)
}
