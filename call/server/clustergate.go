package server

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Early rings. A caller's node that finds both busy keys of a call free in
// its mirror of the bucket writes them and rings the callee's devices on
// other nodes at once, without waiting for its writes to be acknowledged:
// each such ring carries a gate, the call and the revisions its writes
// expect. The callee's node holds the ring, and whatever the owner sends
// that device after it, until its own mirror (the bucket's watch, which
// hears of the writes as soon as the owner does) shows both keys written
// for the call; then the device rings. A key written for another call
// first means this one lost it: the ring is dropped, and the owner ends
// the call as busy, as one node would have before ringing anyone. The
// owner confirms a ring once its writes are acknowledged, for a watch
// that lags; a ring neither let through nor dropped within gateTimeout is
// dropped. The confirmation carries the ring again: a node whose mirror
// missed some of the key's history (its watch was broken while NATS
// failed over) may have dropped a ring as lost whose owner, its write at
// once refused on a stale revision, took the key the long way; that ring
// goes through on the confirmation.
const (
	hdrGate    = "Duet-Gate"
	hdrConfirm = "Duet-Confirm"
	// gateTimeout: the owner waits natsTimeout for its writes, then ends
	// the call; a ring held longer belongs to a call that is over.
	gateTimeout = 2 * natsTimeout
	// gateMostHeld bounds what waits behind one device's gate; more drops
	// the ring, as a timeout would.
	gateMostHeld = 64
)

// ringGate is what an early ring waits for: both busy keys written for
// call cid, each at a revision after the one its write expected.
type ringGate struct {
	cid  string
	keys [2]gateKey
}

type gateKey struct {
	key   string
	after uint64
}

func (g ringGate) header() string {
	var b strings.Builder
	b.WriteString(g.cid)
	for _, k := range g.keys {
		b.WriteString(" " + k.key + " " + strconv.FormatUint(k.after, 10))
	}
	return b.String()
}

// parseGate reads a gate header; false for one that is not a gate.
func parseGate(s string) (ringGate, bool) {
	f := strings.Fields(s)
	if len(f) != 1+2*len(ringGate{}.keys) {
		return ringGate{}, false
	}
	g := ringGate{cid: f[0]}
	for i := range g.keys {
		after, err := strconv.ParseUint(f[2+2*i], 10, 64)
		if err != nil {
			return ringGate{}, false
		}
		g.keys[i] = gateKey{key: f[1+2*i], after: after}
	}
	return g, true
}

// gateVerdict is what a node's mirror says of a gate.
type gateVerdict int

const (
	gateWaiting gateVerdict = iota
	gateOpen
	gateLost
)

// verdict: open when every key has a revision after the expected one and
// the first such (the watch delivers them in order) is the call's; lost
// when it is another's.
func (g ringGate) verdict(revs map[string]busyRev) gateVerdict {
	v := gateOpen
	for _, k := range g.keys {
		r := revs[k.key]
		switch {
		case r.rev <= k.after:
			v = gateWaiting
		case r.held.CID != g.cid:
			return gateLost
		}
	}
	return v
}

// heldMessage is a message for a device, held behind a gate.
type heldMessage struct {
	data      []byte
	gate      *ringGate // nil: an ordinary message, in line behind a gate
	confirmed bool      // the owner's writes were acknowledged
	deadline  time.Time
	arrived   time.Time // for the metric of the wait
}

// gateLine is what one device waits for, in order.
type gateLine struct {
	held  []heldMessage
	timer *time.Timer // the first message's deadline
}

// lostRing is an early ring dropped because the watch showed a key taken
// by another call; its owner's confirmation, if one comes, lets it ring.
type lostRing struct {
	cid     string
	expires time.Time
}

// deliverGated queues an early ring for a device on node.
func (c *cluster) deliverGated(node string, k deviceKey, msg []byte, g ringGate) {
	m := devMsg(node, k, msg)
	m.Header.Set(hdrGate, g.header())
	c.enqueue(outbound{msg: m, kind: kindDev, early: true})
}

// confirmRing tells a device's node that call cid's writes are
// acknowledged: its ring may go whatever the watch says. ring is the
// ring again, for a node that dropped it.
func (c *cluster) confirmRing(node string, k deviceKey, cid string, ring []byte) {
	m := devMsg(node, k, ring)
	m.Header.Set(hdrConfirm, cid)
	c.enqueue(outbound{msg: m, kind: kindDev})
}

// toDevice hands a message from an owner to a device signed in here, in
// the order the owner sent them: behind a gate when one is waiting.
func (c *cluster) toDevice(k deviceKey, data []byte, gateHeader, confirm string) {
	c.gateMu.Lock()
	defer c.gateMu.Unlock()
	line := c.gates[k]
	if confirm != "" {
		c.confirmedLocked(k, line, confirm, data)
		return
	}
	var gate *ringGate
	if gateHeader != "" {
		if g, ok := parseGate(gateHeader); ok {
			gate = &g
		}
	}
	if line == nil && gate == nil {
		c.sendLocal(k, data)
		return
	}
	if line == nil {
		line = &gateLine{}
		c.gates[k] = line
	}
	if len(line.held) >= gateMostHeld {
		c.log.Warn("cluster: too much held behind a ring; dropping it", "account", k.account, "device", k.deviceID)
		line.held[0].deadline = time.Time{} // as if its time ran out
	}
	now := time.Now()
	line.held = append(line.held, heldMessage{data: data, gate: gate, deadline: now.Add(gateTimeout), arrived: now})
	c.advanceLocked(k, line)
}

// confirmedLocked lets call cid's ring through: the one held, or the one
// dropped as lost. Holding gateMu.
func (c *cluster) confirmedLocked(k deviceKey, line *gateLine, cid string, ring []byte) {
	if line != nil {
		for i := range line.held {
			if g := line.held[i].gate; g != nil && g.cid == cid {
				line.held[i].confirmed = true
				c.advanceLocked(k, line)
				return
			}
		}
	}
	now := time.Now()
	c.forgetLostLocked(now)
	i := slices.IndexFunc(c.lost[k], func(r lostRing) bool { return r.cid == cid })
	if i >= 0 {
		if c.lost[k] = slices.Delete(c.lost[k], i, i+1); len(c.lost[k]) == 0 {
			delete(c.lost, k)
		}
	}
	if i < 0 || ring == nil {
		return // let through already, or dropped for good
	}
	c.log.Info("cluster: a ring dropped on a stale watch was confirmed; ringing", "cid", cid,
		"account", k.account, "device", k.deviceID)
	if line == nil {
		c.sendLocal(k, ring)
		return
	}
	line.held = append(line.held, heldMessage{data: ring, deadline: now.Add(gateTimeout)})
	c.advanceLocked(k, line)
}

// droppedLocked remembers a ring dropped as lost until its confirmation
// could no longer come. Holding gateMu.
func (c *cluster) droppedLocked(k deviceKey, cid string, now time.Time) {
	c.forgetLostLocked(now)
	lost := c.lost[k]
	if len(lost) >= gateMostHeld {
		lost = lost[1:]
	}
	c.lost[k] = append(lost, lostRing{cid: cid, expires: now.Add(gateTimeout)})
}

// forgetLostLocked forgets the lost rings whose confirmation could no
// longer come. Holding gateMu.
func (c *cluster) forgetLostLocked(now time.Time) {
	for k, lost := range c.lost {
		if lost = slices.DeleteFunc(lost, func(r lostRing) bool { return now.After(r.expires) }); len(lost) == 0 {
			delete(c.lost, k)
		} else {
			c.lost[k] = lost
		}
	}
}

// advanceLocked sends what no longer waits, drops rings that lost their
// keys or their time, and sets the timer for the first one still waiting.
// Holding gateMu.
func (c *cluster) advanceLocked(k deviceKey, line *gateLine) {
	now := time.Now()
	for len(line.held) > 0 {
		m := line.held[0]
		if m.gate != nil && !m.confirmed {
			c.mu.Lock()
			v := m.gate.verdict(c.revs)
			c.mu.Unlock()
			if v == gateWaiting && now.Before(m.deadline) {
				break
			}
			if v != gateOpen {
				c.log.Debug("cluster: early ring dropped", "cid", m.gate.cid, "account", k.account, "device", k.deviceID,
					"lost", v == gateLost)
				c.metrics.ringsDropped.Inc()
				if v == gateLost {
					c.droppedLocked(k, m.gate.cid, now)
				}
				line.held = line.held[1:]
				continue
			}
		}
		if m.gate != nil { // let through by the watch or by the owner's confirmation
			c.metrics.ringWait.Observe(max(0, now.Sub(m.arrived).Seconds()))
		}
		c.sendLocal(k, m.data)
		line.held = line.held[1:]
	}
	if line.timer != nil {
		line.timer.Stop()
		line.timer = nil
	}
	if len(line.held) == 0 {
		delete(c.gates, k)
		return
	}
	line.timer = time.AfterFunc(time.Until(line.held[0].deadline), func() {
		c.gateMu.Lock()
		defer c.gateMu.Unlock()
		if c.gates[k] == line {
			c.advanceLocked(k, line)
		}
	})
}

// keyChanged lets through or drops the rings waiting on a busy key that
// the watch has news of.
func (c *cluster) keyChanged(key string) {
	c.gateMu.Lock()
	defer c.gateMu.Unlock()
	for k, line := range c.gates {
		if g := line.held[0].gate; g != nil && (g.keys[0].key == key || g.keys[1].key == key) {
			c.advanceLocked(k, line)
		}
	}
}

// stopGates drops what waits: the node is stopping.
func (c *cluster) stopGates() {
	c.gateMu.Lock()
	defer c.gateMu.Unlock()
	for k, line := range c.gates {
		if line.timer != nil {
			line.timer.Stop()
		}
		delete(c.gates, k)
	}
	clear(c.lost)
	clear(c.arrivals)
}

// sendLocal hands data to device k signed in here, or to the login of it
// under way. Holding gateMu.
func (c *cluster) sendLocal(k deviceKey, data []byte) {
	if c.holdArrivingLocked(k, data) {
		return
	}
	c.mu.Lock()
	sess := c.local[k]
	c.mu.Unlock()
	if sess != nil {
		sess.send(data)
	}
}
