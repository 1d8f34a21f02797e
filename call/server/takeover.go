package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"duet/call/proto"
)

// callsBucket marks who took over each call of a lost node (CID → node):
// the node that creates the key runs the call. Keys go after a day; a
// call is taken over within seconds of its node's loss.
const callsBucket = "duet-calls"

// takeOver adopts the open calls of a node that is gone, racing the other
// survivors for each (docs/cluster.md, "Takeover is the restart path").
// Runs on the nodes watcher; it waits on the database and NATS.
func (c *cluster) takeOver(node string) {
	ctx, cancel := context.WithTimeout(c.ctx, storeTimeout)
	defer cancel()
	calls, err := c.hub.srv.store.openCalls(ctx)
	if err != nil {
		c.log.Warn("cluster: read the open calls of a lost node", "gone", node, "err", err)
		return
	}
	for _, o := range calls {
		if o.Node != node {
			continue
		}
		c.adoptIfFirst(ctx, o)
	}
}

// adoptIfFirst takes over call o of a lost node unless another node did.
func (c *cluster) adoptIfFirst(ctx context.Context, o openCall) {
	if done, err := c.hub.srv.store.hasRecord(ctx, o.CID); err != nil || done {
		return // ended before the node went; the row was not cleared yet
	}
	if _, err := c.calls.Create(ctx, o.CID, []byte(c.cfg.Node)); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			c.log.Warn("cluster: take over a call", "cid", o.CID, "gone", o.Node, "err", err)
		}
		return // another node has it
	}
	c.own(o.CID)
	c.metrics.takeovers.Inc()
	claims := c.takeKeys(ctx, o, o.Node)
	c.log.Info("cluster: taking over a call of a lost node", "cid", o.CID, "gone", o.Node, "answered", o.AnsweredAt != 0)
	c.hub.post(func() { c.hub.adopt(o, claims) })
}

// takeKeys moves the busy keys a lost node held for call o to this node,
// where no newer call took them meanwhile.
func (c *cluster) takeKeys(ctx context.Context, o openCall, from string) []busyClaim {
	var claims []busyClaim
	mine := busyEntry{CID: o.CID, Node: c.cfg.Node}
	val, _ := json.Marshal(mine)
	for _, account := range []string{o.Caller.Account, o.Callee.Account} {
		key := busyKey(account)
		cur, _, err := c.readBusy(ctx, key)
		if err != nil || cur.held.CID != o.CID || cur.held.Node != from {
			continue
		}
		if rev, err := c.busy.Update(ctx, key, val, cur.rev); err == nil {
			c.sawRev(key, rev, mine)
			claims = append(claims, busyClaim{key: key, rev: rev})
		}
	}
	return claims
}

// adopt runs a call taken over from a lost node as a restarted server runs
// the calls open at its last stop: a ringing call ends as network lost
// (its callee's devices, still signed in elsewhere, are told); an answered
// call waits for the parties whose devices were on the lost node to sign
// in again. Runs on the hub.
func (h *hub) adopt(o openCall, claims []busyClaim) {
	c := o.callState()
	c.claims, c.lostAt = claims, h.now()
	for _, acc := range []string{c.caller, c.callee} {
		if st := h.accounts[acc]; st != nil && st.call != nil {
			// A newer call has the account already: this one is over.
			h.unclaim(c)
			h.record(c, proto.ReasonNetworkLost, "")
			return
		}
	}
	for _, p := range []*party{&c.callerParty, &c.calleeParty} {
		p.sess = h.deviceSession(p.account, p.deviceID)
		h.nextUID = max(h.nextUID, p.uid)
	}
	h.calls[c.cid] = c
	h.account(c.caller).call = c
	h.account(c.callee).call = c
	if !c.answered() {
		h.endCall(c, proto.ReasonNetworkLost, "")
		return
	}
	h.losses++
	for _, p := range []*party{&c.callerParty, &c.calleeParty} {
		if p.sess == nil {
			p.lost = h.losses
			h.awaitParty(c, p, h.cfg.ReconnectGrace)
		}
	}
	if c.callerParty.sess != nil && c.calleeParty.sess != nil {
		c.lostAt = 0
	}
	h.keepOpen(c)
	h.updatePresence(c.caller)
	h.updatePresence(c.callee)
}

// deviceSession is the session of a device signed in anywhere in the
// cluster, a stand-in for one on another node; nil if it is nowhere.
func (h *hub) deviceSession(account, deviceID string) *session {
	if deviceID == "" {
		return nil
	}
	if sess := h.devices[deviceKey{account, deviceID}]; sess != nil {
		return sess
	}
	if d := h.remote[account][deviceID]; d != nil {
		return h.proxy(deviceKey{account, deviceID}, d.ClientType, d.Node)
	}
	return nil
}
