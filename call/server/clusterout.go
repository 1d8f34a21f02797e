package server

import (
	"github.com/nats-io/nats.go"
)

// The queue to other nodes. The owner's hub sends events, replies and
// changes of busy keys in order; one goroutine (sendOut) sends them on one
// NATS connection, so what one node sends another arrives in that order.
// A message for an account whose call's keys are being freed waits until
// the release is acknowledged: a device told that its call ended finds
// its account, and the other party's, free when it calls back. Messages
// for other accounts do not wait behind it; those of the same account
// keep their order behind it.

// outbound is one item of the queue to other nodes: a message, or a
// change of a call's busy keys.
type outbound struct {
	msg     *nats.Msg
	release []busyClaim
	purge   []busyClaim // keys of names that do not exist (busyforget.go)
	kind    string      // of msg, for the metrics; "" for a reply to a request
	// early: an early ring (clustergate.go), which need not wait for the
	// releases before it: its gate waits for what it needs.
	early bool
}

// enqueue adds to the queue to other nodes; never waits.
func (c *cluster) enqueue(o outbound) {
	c.mu.Lock()
	c.out = append(c.out, o)
	c.mu.Unlock()
	c.wakeOut()
}

func (c *cluster) wakeOut() {
	select {
	case c.outWake <- struct{}{}:
	default:
	}
}

// parkedMsg is a message held back until release after is acknowledged,
// or behind an earlier held message of its account.
type parkedMsg struct {
	msg     *nats.Msg
	kind    string
	account string
	after   uint64
}

// outQueue is sendOut's own state.
type outQueue struct {
	releasing releases
	parked    []parkedMsg
	send      func(parkedMsg)
}

// sendOut works through the queue to other nodes in order until the
// cluster stops, then sends what is left.
func (c *cluster) sendOut() {
	q := outQueue{send: c.sendNow, releasing: releases{acked: c.releaseAcked}}
	for {
		var stopping bool
		acked, failed := q.releasing.next()
		select {
		case <-c.outWake:
		case <-c.outStop:
			stopping = true
		case ack := <-acked:
			q.releasing.took(ack, nil)
		case err := <-failed:
			q.releasing.took(nil, err)
		}
		c.mu.Lock()
		batch := c.out
		c.out = nil
		c.mu.Unlock()
		q.releasing.reap()
		q.sendParked()
		for _, o := range batch {
			if o.msg != nil {
				q.sendOrPark(o)
			}
			for _, cl := range o.purge {
				c.purgeBusyAsync(cl)
			}
			if o.release != nil {
				c.releaseNow(o.release, &q.releasing)
				if len(q.releasing.writes) > mostReleasesInFlight {
					q.releasing.await(q.releasing.writes[0].call)
					q.sendParked()
				}
			}
		}
		if stopping {
			q.releasing.await(q.releasing.calls)
			q.sendParked()
			c.nc.Flush()
			return
		}
	}
}

// sendOrPark sends o's message now unless it must wait for a release of
// its account's keys or behind a held message of its account. An early
// ring waits for no release (its gate waits for what it needs), only
// behind its account's held messages.
func (q *outQueue) sendOrPark(o outbound) {
	p := parkedMsg{msg: o.msg, kind: o.kind, account: o.msg.Header.Get(hdrAccount)}
	if !o.early {
		p.after = q.releasing.lastFreeing(p.account)
	}
	if p.after == 0 && !q.holds(p.account) {
		q.send(p)
		return
	}
	q.parked = append(q.parked, p)
}

// holds reports whether a message for account is held.
func (q *outQueue) holds(account string) bool {
	for _, p := range q.parked {
		if p.account == account {
			return true
		}
	}
	return false
}

// sendParked sends, in order, the held messages whose release is
// acknowledged and that no earlier held message of their account holds.
func (q *outQueue) sendParked() {
	if len(q.parked) == 0 {
		return
	}
	settled := q.releasing.settled()
	var blocked map[string]bool
	kept := q.parked[:0]
	for _, p := range q.parked {
		if !blocked[p.account] && p.after <= settled {
			q.send(p)
			continue
		}
		if blocked == nil {
			blocked = map[string]bool{}
		}
		blocked[p.account] = true
		kept = append(kept, p)
	}
	clear(q.parked[len(kept):])
	q.parked = kept
}

func (c *cluster) sendNow(p parkedMsg) {
	if err := c.nc.PublishMsg(p.msg); err != nil {
		c.log.Debug("cluster: send to node", "subject", p.msg.Subject, "err", err)
	} else if p.kind != "" {
		c.metrics.sent.WithLabelValues(p.kind).Inc()
	}
}
