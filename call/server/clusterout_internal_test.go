package server

import (
	"slices"
	"testing"

	"github.com/nats-io/nats.go"
)

// testQueue is an outQueue that records what it sends, by the message's
// body.
func testQueue() (*outQueue, *[]string) {
	var sent []string
	q := &outQueue{send: func(p parkedMsg) { sent = append(sent, string(p.msg.Data)) }}
	return q, &sent
}

// releaseInFlight adds to q the release of a call's keys, its acks still to
// come, and returns its writes: closing a write's done is its ack.
func releaseInFlight(q *outQueue, accounts ...string) []*busyWrite {
	q.releasing.calls++
	var ws []*busyWrite
	for _, a := range accounts {
		w := &busyWrite{key: busyKey(a), call: q.releasing.calls, done: make(chan struct{})}
		q.releasing.writes = append(q.releasing.writes, w)
		ws = append(ws, w)
	}
	return ws
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

	close(ws[0].done)
	q.sendParked()
	expectSent(t, sent, "alice's key freed, bob's not yet")

	close(ws[1].done)
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
		close(w.done)
	}
	q.sendParked()
	expectSent(t, sent, "the second release acked before the first")

	for _, w := range first {
		close(w.done)
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
		close(w.done)
	}
	q.releasing.await(1)
	if len(q.releasing.writes) != len(later) || q.releasing.settled() != 1 {
		t.Errorf("after the first release: %d writes in flight, settled through %d; want %d and 1",
			len(q.releasing.writes), q.releasing.settled(), len(later))
	}
}
