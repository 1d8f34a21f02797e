package server

import (
	"encoding/json"
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The queue to other nodes (sendOut, clusterout.go) sends its writes of
// busy keys without waiting for each ack in turn: a call's keys are freed
// in one round trip rather than one per key, and only the messages for
// the two accounts wait for the release, not other calls' beCalling and
// replies. The watch of the bucket reports the new revisions, as for any
// write.

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

// busyWrite is a release of a busy key the queue sent, its ack to come.
type busyWrite struct {
	key string
	// call numbers the release the write belongs to: a call's keys are
	// freed together.
	call uint64
	ack  jetstream.PubAckFuture
}

// releases are the frees of busy keys the queue sent, oldest first, their
// acks to come. Every ack comes, or fails, within natsTimeout (the async
// publish's timeout). Only sendOut uses them.
type releases struct {
	writes []busyWrite
	calls  uint64 // releases sent so far
	// acked hears how each write went: the key's new revision, or why not.
	acked func(key string, rev uint64, err error)
}

// mostReleasesInFlight bounds the acks the queue leaves outstanding.
const mostReleasesInFlight = 256

// next is where the oldest write's ack comes; nil channels when none is
// in flight. sendOut waits on them with its queue and hands what came to
// took.
func (r *releases) next() (<-chan *jetstream.PubAck, <-chan error) {
	if len(r.writes) == 0 {
		return nil, nil
	}
	return r.writes[0].ack.Ok(), r.writes[0].ack.Err()
}

// took settles the oldest write with what its ack said.
func (r *releases) took(ack *jetstream.PubAck, err error) {
	w := r.writes[0]
	r.writes[0] = busyWrite{}
	r.writes = r.writes[1:]
	var rev uint64
	if ack != nil {
		rev = ack.Sequence
	}
	if r.acked != nil {
		r.acked(w.key, rev, err)
	}
}

// reap settles the oldest writes whose acks are in, without waiting.
func (r *releases) reap() {
	for len(r.writes) > 0 {
		ok, failed := r.next()
		select {
		case ack := <-ok:
			r.took(ack, nil)
		case err := <-failed:
			r.took(nil, err)
		default:
			return
		}
	}
}

// await waits until release through, and every older one, is
// acknowledged.
func (r *releases) await(through uint64) {
	for len(r.writes) > 0 && r.writes[0].call <= through {
		ok, failed := r.next()
		select {
		case ack := <-ok:
			r.took(ack, nil)
		case err := <-failed:
			r.took(nil, err)
		}
	}
}

// settled is the newest release whose writes, and every older one's, are
// acknowledged.
func (r *releases) settled() uint64 {
	r.reap()
	if len(r.writes) == 0 {
		return r.calls
	}
	return r.writes[0].call - 1
}

// lastFreeing is the newest release in flight that frees account's key
// (every one in flight for a message to no account), 0 when none.
func (r *releases) lastFreeing(account string) uint64 {
	if len(r.writes) == 0 {
		return 0
	}
	if account == "" {
		return r.calls
	}
	key := busyKey(account)
	for i := len(r.writes) - 1; i >= 0; i-- {
		if r.writes[i].key == key {
			return r.writes[i].call
		}
	}
	return 0
}

// releaseAcked notes a freed key's new revision.
func (c *cluster) releaseAcked(key string, rev uint64, err error) {
	switch {
	case err == nil:
		c.sawRev(key, rev, busyEntry{})
	case !wrongRevision(err):
		c.log.Warn("cluster: free busy key", "key", key, "err", err)
	}
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
