package server

import (
	"slices"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testQueue is an outQueue that records what it sends, by the message's
// body.
func testQueue() (*outQueue, *[]string) {
	var sent []string
	q := &outQueue{send: func(p parkedMsg) { sent = append(sent, string(p.msg.Data)) }}
	return q, &sent
}

// testAck is the ack of a write a test sent: the test answers it.
type testAck struct {
	ok  chan *jetstream.PubAck
	err chan error
}

func (a testAck) Ok() <-chan *jetstream.PubAck { return a.ok }
func (a testAck) Err() <-chan error            { return a.err }
func (a testAck) Msg() *nats.Msg               { return nil }

func (a testAck) answer() { a.ok <- &jetstream.PubAck{Sequence: 1} }

// releaseInFlight adds to q the release of a call's keys, its acks still to
// come, and returns them: answering one is its ack.
func releaseInFlight(q *outQueue, accounts ...string) []testAck {
	q.releasing.calls++
	var acks []testAck
	for _, a := range accounts {
		ack := testAck{ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
		q.releasing.writes = append(q.releasing.writes, busyWrite{key: busyKey(a), call: q.releasing.calls, ack: ack})
		acks = append(acks, ack)
	}
	return acks
}

func msgFor(account, body string) outbound {
	m := nats.NewMsg(devSubject("n2"))
	if account != "" {
		m.Header.Set(hdrAccount, account)
	}
	m.Data = []byte(body)
	return outbound{msg: m, kind: kindDev}
}

func expectSent(t *testing.T, sent *[]string, when string, want ...string) {
	t.Helper()
	if !slices.Equal(*sent, want) {
		t.Errorf("%s: sent %q, want %q", when, *sent, want)
	}
	*sent = (*sent)[:0]
}

// TestReleaseHoldsOnlyItsAccounts: while a call's keys are being freed,
// what the queue sends its two parties waits for both acks, in order, and
// an early ring for one of them waits behind; what it sends anyone else
// goes at once.
func TestReleaseHoldsOnlyItsAccounts(t *testing.T) {
	q, sent := testQueue()
	ws := releaseInFlight(q, "alice", "bob")
	q.sendOrPark(msgFor("bob", "hangup to bob"))
	q.sendOrPark(msgFor("carol", "ring carol"))
	q.sendOrPark(msgFor("alice", "reply to alice"))
	ring := msgFor("bob", "early ring to bob")
	ring.early = true
	q.sendOrPark(ring)
	q.sendOrPark(msgFor("carol", "carol's reply"))
	expectSent(t, sent, "acks to come", "ring carol", "carol's reply")

	ws[0].answer()
	q.sendParked()
	expectSent(t, sent, "alice's key freed, bob's not yet")

	ws[1].answer()
	q.sendParked()
	expectSent(t, sent, "both keys freed", "hangup to bob", "reply to alice", "early ring to bob")
	if len(q.parked) != 0 || len(q.releasing.writes) != 0 {
		t.Errorf("left %d held messages and %d writes", len(q.parked), len(q.releasing.writes))
	}
}

// TestReleasesSettleInOrder: a message waits for the release that freed
// its account's key and every older one; a later release of other keys
// holds it no longer.
func TestReleasesSettleInOrder(t *testing.T) {
	q, sent := testQueue()
	first := releaseInFlight(q, "alice", "bob")
	second := releaseInFlight(q, "carol", "dave")
	q.sendOrPark(msgFor("dave", "to dave"))
	q.sendOrPark(msgFor("alice", "to alice"))
	q.sendOrPark(msgFor("", "to no account"))
	expectSent(t, sent, "acks to come")

	for _, w := range second {
		w.answer()
	}
	q.sendParked()
	expectSent(t, sent, "the second release acked before the first")

	for _, w := range first {
		w.answer()
	}
	q.sendParked()
	expectSent(t, sent, "both acked", "to dave", "to alice", "to no account")
}

// TestNoReleaseNoWait: with no release in flight, messages go at once.
func TestNoReleaseNoWait(t *testing.T) {
	q, sent := testQueue()
	q.sendOrPark(msgFor("alice", "one"))
	q.sendOrPark(msgFor("", "two"))
	expectSent(t, sent, "nothing in flight", "one", "two")
	if q.releasing.settled() != 0 || q.releasing.lastFreeing("alice") != 0 {
		t.Error("an empty queue reports a release")
	}
}

// TestAwaitReleases: await returns once the releases through the one
// asked for are acknowledged, and leaves the later ones.
func TestAwaitReleases(t *testing.T) {
	q, _ := testQueue()
	first := releaseInFlight(q, "alice", "bob")
	later := releaseInFlight(q, "carol", "dave")
	for _, w := range first {
		w.answer()
	}
	q.releasing.await(1)
	if len(q.releasing.writes) != len(later) || q.releasing.settled() != 1 {
		t.Errorf("after the first release: %d writes in flight, settled through %d; want %d and 1",
			len(q.releasing.writes), q.releasing.settled(), len(later))
	}
}

// TestFailedReleaseStillSettles: a release NATS refused or never
// acknowledged lets its messages go all the same, and says why.
func TestFailedReleaseStillSettles(t *testing.T) {
	q, sent := testQueue()
	var heard []error
	q.releasing.acked = func(_ string, _ uint64, err error) { heard = append(heard, err) }
	acks := releaseInFlight(q, "alice", "bob")
	q.sendOrPark(msgFor("alice", "to alice"))
	acks[0].err <- jetstream.ErrAsyncPublishTimeout
	acks[1].answer()
	q.sendParked()
	expectSent(t, sent, "one key's write timed out", "to alice")
	if len(heard) != 2 || heard[0] != jetstream.ErrAsyncPublishTimeout || heard[1] != nil {
		t.Errorf("acked heard %v, want the timeout, then success", heard)
	}
}
