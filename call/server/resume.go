package server

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"duet/call/proto"
)

// A device whose connection dropped may sign in again on any node; its
// call stays with the call's owner. The node it signs in to asks the owner,
// on duet.node.OWNER.resume, to hand the call back to the device there; the
// owner's answer is the login's activeCall. An owner that no longer hears
// (no responders: dead, or cut off and about to fence) has its call taken
// over by the node the device came to, as its loss would have it taken
// over a moment later. Not at the first silence: after NATS itself was
// down, a device may come back through a node that reconnected before the
// owner did, and taking over a live owner's call leaves two nodes holding
// it; the ask is repeated for longer than a node's reconnect wait and its
// jitter.
const (
	resumeRetryFor   = natsReconnectWait + 150*time.Millisecond
	resumeRetryEvery = 50 * time.Millisecond
)

func resumeSubject(node string) string { return "duet.node." + node + ".resume" }

// hdrRev is the revision of a resuming device's entry in the devices
// bucket.
const hdrRev = "Duet-Rev"

// announce puts device k's entry, as signed in here, and returns its
// revision.
func (c *cluster) announce(ctx context.Context, k deviceKey, ct proto.ClientType) (uint64, error) {
	b, _ := json.Marshal(deviceEntry{Node: c.cfg.Node, ClientType: ct})
	return c.devices.Put(ctx, deviceBucketKey(k), b)
}

// resume returns the call of a device signing in here that another node
// owns, bound to the device again; nil for none. A call this node takes
// over is in the hub's queue before the login, which finds it there.
// Called from the connection's reader.
func (c *cluster) resume(ctx context.Context, account, deviceID string, ct proto.ClientType) *proto.ActiveCall {
	cur, _, err := c.readBusy(ctx, busyKey(account))
	held := cur.held
	if err != nil || held.CID == "" || held.Node == c.cfg.Node {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, natsTimeout)
	defer cancel()
	m := nats.NewMsg(resumeSubject(held.Node))
	m.Header.Set(hdrNode, c.cfg.Node)
	m.Header.Set(hdrAccount, account)
	m.Header.Set(hdrDevice, deviceID)
	m.Header.Set(hdrClient, strconv.Itoa(int(ct)))
	// The device is in the bucket before the owner is asked, and the ask
	// carries its revision, which orders the ask among the changes of
	// the device the owner's watch brings. What the owner sends the
	// device meanwhile waits for the login (arrival.go).
	if rev, err := c.announce(ctx, deviceKey{account, deviceID}, ct); err == nil {
		m.Header.Set(hdrRev, strconv.FormatUint(rev, 10))
	} else {
		c.log.Warn("cluster: announce a resuming device", "account", account, "device", deviceID, "err", err)
	}
	c.metrics.sent.WithLabelValues(kindResume).Inc()
	reply, err := c.askOwner(ctx, m)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		c.takeOverCall(ctx, held)
		return nil
	case err != nil:
		c.log.Warn("cluster: resume a call", "cid", held.CID, "owner", held.Node, "err", err)
		return nil
	}
	var ac *proto.ActiveCall
	if json.Unmarshal(reply.Data, &ac) != nil {
		return nil
	}
	return ac
}

// askOwner sends the resume request, again while no node listens on the
// owner's subject, for up to resumeRetryFor. A ctx done while it waits
// ends the asking with ctx's error: no answer is not the owner's silence.
func (c *cluster) askOwner(ctx context.Context, m *nats.Msg) (*nats.Msg, error) {
	giveUp := time.Now().Add(resumeRetryFor)
	for {
		reply, err := c.nc.RequestMsgWithContext(ctx, m)
		if !errors.Is(err, nats.ErrNoResponders) || time.Now().After(giveUp) {
			return reply, err
		}
		select {
		case <-time.After(resumeRetryEvery):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// resumeRequested hands a call back to one of its devices that signed in
// on another node, and answers with the call as the device's login shows
// it; null when the device has no call here.
func (c *cluster) resumeRequested(m *nats.Msg) {
	c.metrics.received.WithLabelValues(kindResume).Inc()
	k := deviceKey{m.Header.Get(hdrAccount), m.Header.Get(hdrDevice)}
	ct, _ := strconv.Atoi(m.Header.Get(hdrClient))
	node := m.Header.Get(hdrNode)
	rev, _ := strconv.ParseUint(m.Header.Get(hdrRev), 10, 64)
	h := c.hub
	h.post(func() {
		var ac *proto.ActiveCall
		p := h.proxy(k, proto.ClientType(ct), node)
		if st := h.accounts[k.account]; st != nil && st.call != nil && st.call.hasDevice(p) {
			st.call.reconnected(p)
			ac = st.call.activeFor(p)
			// The watch of the devices bucket brings the device's entry
			// here later: the call's end and its record must reach the
			// device before, and an older change of it that the watch
			// brings after must not undo this one.
			h.remoteDeviceChanged(k, &deviceEntry{Node: node, ClientType: proto.ClientType(ct)}, rev)
		}
		b, _ := json.Marshal(ac)
		// Through the queue: the answer leaves after the events sent before.
		c.enqueue(outbound{msg: &nats.Msg{Subject: m.Reply, Data: b}})
	})
}

// takeOverCall takes over one call of a node that no longer hears, as
// takeOver does for every call of a lost node.
func (c *cluster) takeOverCall(ctx context.Context, held busyEntry) {
	calls, err := c.hub.srv.store.openCalls(ctx)
	if err != nil {
		return
	}
	for _, o := range calls {
		if o.CID == held.CID && o.Node == held.Node {
			c.adoptIfFirst(ctx, o)
		}
	}
}
