package call

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"duet/call/proto"
)

// CallOptions are the optional parts of an invitation.
type CallOptions struct {
	// ForceKeepCalling keeps the invitation ringing for an offline callee
	// and delivers it when one of their devices signs in.
	ForceKeepCalling bool
	// Custom text reaches the callee with beCalling (pushConfig.custom).
	Custom string
}

// Call invites callee and returns the cid once the server has placed the
// call. The answer arrives as *proto.CallAccepted or *proto.CallRejected;
// after Config.NoAnswerTimeout without one the client hangs up and sends
// *NoAnswer. An offline callee without ForceKeepCalling fails with
// ErrCalleeOffline.
func (c *Client) Call(ctx context.Context, callee string, typ proto.CallType, opts CallOptions) (string, error) {
	c.mu.Lock()
	busy := c.state.current != nil
	c.mu.Unlock()
	if busy {
		return "", ErrInCall
	}
	req := proto.Call{Type: typ, Callee: callee, ForceKeepCalling: opts.ForceKeepCalling,
		PushConfig: proto.PushConfig{Custom: opts.Custom}}
	var res proto.CallResult
	err := c.request(ctx, proto.TypeCall, req, &res, func(raw json.RawMessage) {
		var r proto.CallResult
		if json.Unmarshal(raw, &r) != nil {
			return
		}
		c.state.current = &CallInfo{CID: r.CID, Peer: callee, Type: typ, Outgoing: true, Phase: PhaseCalling}
		c.state.noAnswer = time.AfterFunc(c.cfg.NoAnswerTimeout, func() { c.giveUp(r.CID) })
	})
	if err != nil {
		return "", fmt.Errorf("call %s: %w", callee, err)
	}
	return res.CID, nil
}

// giveUp ends an outgoing call nobody answered.
func (c *Client) giveUp(cid string) {
	c.mu.Lock()
	ringing := c.state.isCurrent(cid) && c.state.current.Phase == PhaseCalling
	if ringing {
		c.state.clearCurrent()
	}
	c.mu.Unlock()
	if !ringing {
		return
	}
	c.events.Push(&NoAnswer{CID: cid})
	ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
	defer cancel()
	err := c.request(ctx, proto.TypeHangup, proto.Hangup{CID: cid, Reason: proto.ReasonTimeout}, nil, nil)
	if errors.Is(err, ErrReconnecting) {
		c.mu.Lock()
		c.state.abandoned = cid
		c.mu.Unlock()
		return
	}
	if err != nil {
		c.log.Warn("hang up unanswered call", "cid", cid, "err", err)
	}
}

// Response accepts or rejects the incoming call cid.
func (c *Client) Response(ctx context.Context, cid string, accepted bool) error {
	return c.respond(ctx, cid, accepted, proto.ReasonUnknown)
}

// RejectBusy declines the incoming call cid as busy: the caller hears busy.
func (c *Client) RejectBusy(ctx context.Context, cid string) error {
	return c.respond(ctx, cid, false, proto.ReasonBusy)
}

func (c *Client) respond(ctx context.Context, cid string, accepted bool, reason proto.Reason) error {
	c.mu.Lock()
	in := c.state.incoming
	c.mu.Unlock()
	if in == nil || in.CID != cid {
		return ErrNotRinging
	}
	req := proto.Response{CID: cid, Accepted: accepted, Caller: in.Peer, Type: in.Type, Reason: reason}
	err := c.request(ctx, proto.TypeResponse, req, nil, func(json.RawMessage) {
		if c.state.incoming != nil && c.state.incoming.CID == cid {
			c.state.incoming = nil
		}
		if accepted {
			answered := *in
			answered.Phase = PhaseAnswered
			c.state.current = &answered
		}
	})
	if err != nil {
		c.dropIncomingIfGone(cid, err)
		return fmt.Errorf("answer call %s: %w", cid, err)
	}
	return nil
}

// dropIncomingIfGone forgets a ringing call the server no longer has or
// that another device took.
func (c *Client) dropIncomingIfGone(cid string, err error) {
	if code := proto.CodeOf(err); code != proto.CodeNoSuchCall && code != proto.CodeWrongState {
		return
	}
	c.mu.Lock()
	if c.state.incoming != nil && c.state.incoming.CID == cid {
		c.state.incoming = nil
	}
	c.mu.Unlock()
}

// StartRTC joins the current call's room. mode 0 means the call's type.
// *proto.SyncDone follows with who is already there.
func (c *Client) StartRTC(ctx context.Context, mode proto.CallType) (proto.StartRTCResult, error) {
	c.mu.Lock()
	cur := c.state.current
	c.mu.Unlock()
	if cur == nil || cur.Phase != PhaseAnswered {
		return proto.StartRTCResult{}, ErrNoCall
	}
	var res proto.StartRTCResult
	err := c.request(ctx, proto.TypeStartRTC, proto.StartRTC{CID: cur.CID, Mode: mode}, &res, func(raw json.RawMessage) {
		var r proto.StartRTCResult
		if json.Unmarshal(raw, &r) == nil && c.state.isCurrent(r.CID) {
			c.state.current.UID = r.UID
		}
		if len(r.ICEServers) > 0 {
			// Stored before syncDone is delivered, so whoever handles
			// syncDone finds the call's credentials here.
			c.ice = r.ICEServers
		}
	})
	if err != nil {
		return res, fmt.Errorf("start rtc for call %s: %w", cur.CID, err)
	}
	return res, nil
}

// Hangup ends the current call: a cancel before the answer, a rejection of a
// call ringing here, the end of an answered call.
func (c *Client) Hangup(ctx context.Context) error {
	c.mu.Lock()
	info := c.state.snapshot()
	c.mu.Unlock()
	if info.Phase == PhaseIdle {
		return ErrNoCall
	}
	forget := func() {
		if c.state.isCurrent(info.CID) {
			c.state.clearCurrent()
		}
		if c.state.incoming != nil && c.state.incoming.CID == info.CID {
			c.state.incoming = nil
		}
	}
	err := c.request(ctx, proto.TypeHangup, proto.Hangup{CID: info.CID}, nil, func(json.RawMessage) { forget() })
	if errors.Is(err, ErrReconnecting) {
		// Hanging up always works for the user: the call ends here now and
		// on the server once the connection is back.
		c.mu.Lock()
		forget()
		c.state.abandoned = info.CID
		c.mu.Unlock()
		return nil
	}
	if proto.CodeOf(err) == proto.CodeNoSuchCall {
		// Already over on the server (the peer hung up at the same moment).
		c.mu.Lock()
		forget()
		c.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("hang up call %s: %w", info.CID, err)
	}
	return nil
}

// Relay sends payload (marshalled to JSON) to the other member of the
// current call's room; it arrives there as *proto.RelayEvent with kind.
func (c *Client) Relay(ctx context.Context, kind string, payload any) error {
	c.mu.Lock()
	cur := c.state.current
	c.mu.Unlock()
	if cur == nil {
		return ErrNoCall
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", kind, err)
	}
	if err := c.request(ctx, proto.TypeRelay, proto.Relay{CID: cur.CID, Kind: kind, Payload: raw}, nil, nil); err != nil {
		return fmt.Errorf("relay %s: %w", kind, err)
	}
	return nil
}

// History returns a page of the account's call records, newest first.
// before is the Next of the previous page, 0 for the first; limit 0 means 20.
func (c *Client) History(ctx context.Context, before int64, limit int) (proto.HistoryResult, error) {
	var res proto.HistoryResult
	if err := c.request(ctx, proto.TypeHistory, proto.History{Before: before, Limit: limit}, &res, nil); err != nil {
		return res, fmt.Errorf("history: %w", err)
	}
	return res, nil
}

// Contacts returns every account on the server with its presence.
func (c *Client) Contacts(ctx context.Context) ([]proto.Contact, error) {
	var res proto.ContactsResult
	if err := c.request(ctx, proto.TypeContacts, proto.Contacts{}, &res, nil); err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	return res.Contacts, nil
}
