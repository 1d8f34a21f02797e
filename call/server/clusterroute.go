package server

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/nats-io/nats.go"

	"duet/call/proto"
)

// Messages between nodes: a node hears on duet.node.NODE.dev what the
// owners of calls send to its devices, and on duet.node.NODE.req the
// requests that devices on other nodes make about the calls it owns. Both
// are core NATS publishes from one connection, so what one node sends
// another arrives in order.
const (
	hdrAccount = "Duet-Account"
	hdrDevice  = "Duet-Device"
	hdrClient  = "Duet-Client"
	hdrNode    = "Duet-Node"
	hdrICE     = "Duet-Ice"
)

func devSubject(node string) string { return "duet.node." + node + ".dev" }
func reqSubject(node string) string { return "duet.node." + node + ".req" }

// deliver queues an encoded message for a device signed in on node.
func (c *cluster) deliver(node string, k deviceKey, msg []byte) {
	c.enqueue(outbound{msg: devMsg(node, k, msg), kind: kindDev})
}

// devMsg is a message from an owner for device k on node.
func devMsg(node string, k deviceKey, msg []byte) *nats.Msg {
	m := nats.NewMsg(devSubject(node))
	m.Header.Set(hdrAccount, k.account)
	m.Header.Set(hdrDevice, k.deviceID)
	m.Data = msg
	return m
}

// delivered hands a message from an owner to the device it is for, if it
// is still signed in here. Messages arrive one at a time, in order.
func (c *cluster) delivered(m *nats.Msg) {
	c.metrics.received.WithLabelValues(kindDev).Inc()
	k := deviceKey{m.Header.Get(hdrAccount), m.Header.Get(hdrDevice)}
	c.toDevice(k, m.Data, m.Header.Get(hdrGate), m.Header.Get(hdrConfirm))
}

// forward sends a request of sess about a call owned by node there. The
// reply and the events that follow come back through delivered. Called
// from the connection's reader, which keeps the connection's requests in
// order.
func (c *cluster) forward(sess *session, node string, msg []byte, ice []proto.ICEServer) error {
	m := nats.NewMsg(reqSubject(node))
	m.Header.Set(hdrNode, c.cfg.Node)
	m.Header.Set(hdrAccount, sess.account)
	m.Header.Set(hdrDevice, sess.deviceID)
	m.Header.Set(hdrClient, strconv.Itoa(int(sess.clientType)))
	if ice != nil {
		b, _ := json.Marshal(ice)
		m.Header.Set(hdrICE, string(b))
	}
	m.Data = msg
	c.metrics.sent.WithLabelValues(kindReq).Inc()
	return c.nc.PublishMsg(m)
}

// requested runs a request forwarded by another node on the hub, for the
// device there through its stand-in session.
func (c *cluster) requested(m *nats.Msg) {
	c.metrics.received.WithLabelValues(kindReq).Inc()
	env, err := proto.DecodeEnvelope(m.Data)
	if err != nil {
		return // the sending node decoded it already
	}
	req, err := proto.DecodeRequest(env)
	if err != nil {
		return
	}
	k := deviceKey{m.Header.Get(hdrAccount), m.Header.Get(hdrDevice)}
	ct, _ := strconv.Atoi(m.Header.Get(hdrClient))
	node := m.Header.Get(hdrNode)
	var ice []proto.ICEServer
	if s := m.Header.Get(hdrICE); s != "" {
		json.Unmarshal([]byte(s), &ice)
	}
	h := c.hub
	h.post(func() {
		p := h.proxy(k, proto.ClientType(ct), node)
		p.remote.ice = ice
		switch r := req.(type) {
		case *proto.Response:
			h.response(p, env.ID, r)
		case *proto.StartRTC:
			h.startRTC(p, env.ID, r)
		case *proto.Hangup:
			h.hangup(p, env.ID, r)
		case *proto.Relay:
			h.relay(p, env.ID, r)
		}
	})
}

// remoteDevice marks a session that stands, on a call's owner, for a
// device signed in on another node: what the hub sends it goes there.
type remoteDevice struct {
	node string
	ice  []proto.ICEServer // the device's own node's relays, for startRtc
}

// proxy returns the stand-in session of a device on node, one per device
// so that the hub's rules compare sessions as they do for local ones.
// Runs on the hub.
func (h *hub) proxy(k deviceKey, ct proto.ClientType, node string) *session {
	p := h.proxies[k]
	if p == nil {
		p = &session{srv: h.srv, account: k.account, deviceID: k.deviceID, remote: &remoteDevice{}}
		p.log.Store(h.log.With("account", k.account, "device", k.deviceID, "node", node))
		h.proxies[k] = p
	}
	p.clientType, p.remote.node = ct, node
	return p
}

// toOwner sends a request about call cid to the node that owns it when that
// is another node, and reports whether it did; otherwise this node's hub
// answers. The owner is asked afresh for every request: it changes when
// a lost node's call is taken over. Reader goroutine.
func (sess *session) toOwner(id uint64, msg []byte, cid string, startRTC bool) bool {
	c := sess.srv.cluster
	if c == nil || cid == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(sess.ctx, natsTimeout)
	node, err := c.ownerOf(ctx, sess.account, cid)
	cancel()
	if err != nil {
		sess.logger().Warn("cluster: find a call's owner", "cid", cid, "err", err)
		sess.replyError(id, proto.Errorf(proto.CodeUnavailable, "cannot reach call %s now; try again", cid))
		return true
	}
	if node == "" || node == c.cfg.Node {
		return false // here, or over (the hub says so)
	}
	var ice []proto.ICEServer
	if startRTC && len(sess.srv.relaysFor(sess)) > 0 {
		ice = sess.srv.iceServersFor(sess)
	}
	if err := c.forward(sess, node, msg, ice); err != nil {
		sess.replyError(id, proto.Errorf(proto.CodeUnavailable, "cannot reach call %s now; try again", cid))
	}
	return true
}

// remoteDeviceCame binds a device that signed in on another node to what
// this node's calls want of it: a party's device back, or a callee device
// that should ring. Runs on the hub.
func (h *hub) remoteDeviceCame(k deviceKey, d *deviceEntry) {
	p := h.proxy(k, d.ClientType, d.Node)
	st := h.accounts[k.account]
	if st == nil || st.call == nil {
		return
	}
	c := st.call
	switch {
	case c.hasDevice(p) && c.party(k.account).sess == nil:
		c.reconnected(p)
	case !c.answered() && c.callee == k.account:
		h.ringRemote(p, c)
	}
}

// remoteDeviceGone treats a device that left another node as a local
// device that disconnected. Runs on the hub.
func (h *hub) remoteDeviceGone(k deviceKey) {
	p := h.proxies[k]
	if p == nil {
		return
	}
	delete(h.proxies, k)
	if st := h.accounts[k.account]; st != nil && st.call != nil && st.call.party(k.account).sess == p {
		h.deviceLost(st.call, p)
	}
}
