package server

import "duet/call/proto"

// presenceOf is account's presence across the cluster: devices signed in
// here or on another node.
func (h *hub) presenceOf(account string) proto.Presence {
	st := h.accounts[account]
	switch {
	case st == nil:
		return proto.PresenceOffline
	case st.call != nil && st.call.answered(), h.srv.cluster != nil && h.srv.cluster.inCallElsewhere(account):
		return proto.PresenceInCall
	case len(st.sessions) > 0 || len(h.remote[account]) > 0:
		return proto.PresenceOnline
	}
	return proto.PresenceOffline
}

// updatePresence announces account's presence to the watching sessions if
// it changed, and forgets accounts with no session and no call.
func (h *hub) updatePresence(account string) {
	p := h.presenceOf(account)
	st := h.accounts[account]
	if st == nil {
		return
	}
	if p != st.presence {
		st.presence = p
		h.broadcast(h.watchers, proto.PresenceChanged{Account: account, Presence: p}, nil)
	}
	if len(st.sessions) == 0 && st.call == nil && len(h.remote[account]) == 0 {
		delete(h.accounts, account)
	}
}

// contacts answers with every account's presence. The session already
// watches presence (see session.contacts); sessions that never ask (bots)
// are spared a message per change on the whole server.
func (h *hub) contacts(sess *session, id uint64, names []string) {
	res := proto.ContactsResult{Contacts: make([]proto.Contact, 0, len(names))}
	for _, n := range names {
		res.Contacts = append(res.Contacts, proto.Contact{Account: n, Presence: h.presenceOf(n)})
	}
	sess.reply(id, res)
}
