package server

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The queue to other nodes (sendOut) sends its writes of busy keys
// without waiting for each ack in turn: a call's keys are marked answered
// without holding up the messages behind (other calls' beCalling,
// replies), and its keys are freed in one round trip rather than one per
// key. The queue still waits for the releases before it sends the next
// message, so a device told that its call ended finds its account free.
// The watch of the bucket reports the new revisions, as for any write.

// putBusyAsync writes held (a free key when zero) to key if its revision
// is still rev, and returns the write's ack to come. Called by sendOut.
func (c *cluster) putBusyAsync(key string, held busyEntry, rev uint64) (jetstream.PubAckFuture, error) {
	var val []byte
	if held.CID != "" {
		val, _ = json.Marshal(held)
	}
	m := &nats.Msg{Subject: busySubject(key), Data: val}
	return c.js.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(rev))
}

// awaitBusyWrite waits for a write's ack and returns the key's new
// revision; ok false: it was not written (a newer call took the key, or
// NATS did not answer).
func (c *cluster) awaitBusyWrite(key string, f jetstream.PubAckFuture) (rev uint64, ok bool) {
	t := time.NewTimer(natsTimeout)
	defer t.Stop()
	select {
	case ack := <-f.Ok():
		return ack.Sequence, true
	case err := <-f.Err():
		if !wrongRevision(err) {
			c.log.Warn("cluster: write busy key", "key", key, "err", err)
		}
	case <-t.C:
		c.log.Warn("cluster: write busy key", "key", key, "err", "no ack from NATS")
	}
	return 0, false
}

// awaitBusyWrites waits for every write in ws and returns ws emptied.
func (c *cluster) awaitBusyWrites(ws []busyWrite) []busyWrite {
	for _, w := range ws {
		if rev, ok := c.awaitBusyWrite(w.key, w.ack); ok {
			c.sawRev(w.key, rev, w.held)
		}
	}
	return ws[:0]
}

// busyWrite is a write of a busy key whose ack is still to come.
type busyWrite struct {
	key  string
	held busyEntry // what was written
	ack  jetstream.PubAckFuture
}

// busySubject is where a write of key goes, as the bucket's own Update
// sends it.
func busySubject(key string) string { return "$KV." + busyBucket + "." + key }

// wrongRevision: a compare-and-set found a newer revision.
func wrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
