package server

// A device signing in here can be sent messages from other nodes before
// its login ends: the owner of its call answers the resume and from then on
// sends it the call's events, and an owner answers at once a request the
// device makes the moment it has its login reply. Such messages wait, in
// order and bounded, for the login's reply and then go to the device, so
// none reaches it before that reply and none is lost in between. While a
// login is under way, messages wait for the new connection rather than go
// to an old one of the same device, which the login replaces.

// arrival holds the messages for a device whose login is under way here.
// Guarded by gateMu.
type arrival struct {
	logins int // under way for the device
	held   [][]byte
}

// arriving notes that a login of device k is under way; the hub's login
// ends it (signedIn). Reader goroutine.
func (c *cluster) arriving(k deviceKey) {
	c.gateMu.Lock()
	defer c.gateMu.Unlock()
	a := c.arrivals[k]
	if a == nil {
		a = &arrival{}
		c.arrivals[k] = a
	}
	a.logins++
}

// holdArrivingLocked keeps data for a device whose login is under way and
// reports whether it did. Holding gateMu.
func (c *cluster) holdArrivingLocked(k deviceKey, data []byte) bool {
	a := c.arrivals[k]
	if a == nil {
		return false
	}
	if len(a.held) >= gateMostHeld {
		c.log.Warn("cluster: too much sent to a device that is signing in; dropping the oldest",
			"account", k.account, "device", k.deviceID)
		a.held = a.held[1:]
	}
	a.held = append(a.held, data)
	return true
}

// signedIn replies to the login of sess, makes the device reachable from
// other nodes through this one, hands it what waited for the reply, and
// queues its state for publishing. Runs on the hub.
func (c *cluster) signedIn(k deviceKey, sess *session, reply func()) {
	c.gateMu.Lock()
	reply()
	c.mu.Lock()
	c.local[k] = sess
	c.mu.Unlock()
	if a := c.arrivals[k]; a != nil {
		for _, m := range a.held {
			sess.send(m)
		}
		a.held = nil
		if a.logins--; a.logins <= 0 {
			delete(c.arrivals, k)
		}
	}
	c.gateMu.Unlock()
	c.queue(k, &deviceEntry{Node: c.cfg.Node, ClientType: sess.clientType})
}
