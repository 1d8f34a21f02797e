package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// claiming is the taking of a call's busy keys, begun before the database
// is asked about the callee and finished after (claimCall): a key that the
// bucket's watch says is free is written at once, at the revision seen,
// without a goroutine or a request of its own; the others, and a key whose
// write finds a newer revision, go the long way (claim). Used by one
// goroutine.
type claiming struct {
	c        *cluster
	cid      string
	accounts [2]string // the caller's, the callee's
	mine     busyEntry
	writes   [2]jetstream.PubAckFuture // nil: no write at once
	after    [2]uint64                 // the revision each write at once expects
	start    time.Time
}

// startClaim begins taking the busy keys of call cid; the caller's
// connection finishes it with claimCall.
func (c *cluster) startClaim(caller, callee, cid string) *claiming {
	c.own(cid)
	cl := &claiming{c: c, cid: cid, accounts: [2]string{caller, callee},
		mine: busyEntry{CID: cid, Node: c.cfg.Node}, start: time.Now()}
	val, _ := json.Marshal(cl.mine)
	for i, account := range cl.accounts {
		key := busyKey(account)
		c.mu.Lock()
		last, known := c.revs[key]
		c.mu.Unlock()
		if known && last.held.CID != "" {
			continue // held, or stale: claim decides
		}
		m := &nats.Msg{Subject: busySubject(key), Data: val}
		if f, err := c.js.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(last.rev)); err == nil {
			cl.writes[i], cl.after[i] = f, last.rev
		}
	}
	return cl
}

// gate is what an early ring of the call waits for (clustergate.go);
// false when a key was not written at once, and the call must wait for
// its claim before it rings anyone.
func (cl *claiming) gate() (ringGate, bool) {
	g := ringGate{cid: cl.cid}
	for i, account := range cl.accounts {
		if cl.writes[i] == nil {
			return ringGate{}, false
		}
		g.keys[i] = gateKey{key: busyKey(account), after: cl.after[i]}
	}
	return g, true
}

// claimCall finishes taking the keys. callerBusy: the caller is in a call
// already, and nothing is held. calleeBusy: the callee is, and the
// caller's key is held until the hub ends the call as busy. Every claim
// returned is released by the hub (release) whatever becomes of the call.
// Both keys are taken at once: a call waits one round trip, not two.
func (cl *claiming) claimCall(ctx context.Context) (claims []busyClaim, callerBusy, calleeBusy bool, err error) {
	c := cl.c
	defer func() { c.metrics.claim.Observe(time.Since(cl.start).Seconds()) }()
	type result struct {
		claim busyClaim
		ok    bool
		err   error
	}
	var res [2]result
	var slow sync.WaitGroup
	for i, account := range cl.accounts {
		key := busyKey(account)
		if f := cl.writes[i]; f != nil {
			select {
			case ack := <-f.Ok():
				c.sawRev(key, ack.Sequence, cl.mine)
				res[i] = result{busyClaim{key: key, rev: ack.Sequence}, true, nil}
				continue
			case err := <-f.Err():
				if !wrongRevision(err) {
					res[i].err = fmt.Errorf("claim %s for call %s: %w", account, cl.cid, err)
					continue
				}
			case <-ctx.Done():
				res[i].err = fmt.Errorf("claim %s for call %s: %w", account, cl.cid, ctx.Err())
				continue
			}
		}
		slow.Add(1)
		go func() {
			defer slow.Done()
			claim, ok, err := c.claim(ctx, account, cl.cid)
			res[i] = result{claim, ok, err}
		}()
	}
	slow.Wait()
	mine, theirs := res[0], res[1]
	if mine.ok {
		claims = append(claims, mine.claim)
	}
	if theirs.ok {
		claims = append(claims, theirs.claim)
	}
	if err = errors.Join(mine.err, theirs.err); err != nil || !mine.ok {
		c.release(cl.cid, claims)
		return nil, err == nil, false, err
	}
	return claims, false, !theirs.ok, nil
}
