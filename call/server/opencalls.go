package server

import (
	"context"
	"encoding/json"
	"fmt"

	"duet/call/proto"
)

// openCall is what the database keeps of a call in progress, so a server
// that was killed can still close it with a record, or hand it back to
// parties that reconnect, when it comes back.
type openCall struct {
	CID        string         `json:"cid"`
	Type       proto.CallType `json:"type"`
	Custom     string         `json:"custom,omitempty"`
	CreatedAt  int64          `json:"createdAt"`
	AnsweredAt int64          `json:"answeredAt,omitempty"`
	Caller     openParty      `json:"caller"`
	Callee     openParty      `json:"callee"`
	// Node is the cluster node that owns the call; "" on a server on its own.
	Node string `json:"node,omitempty"`
}

type openParty struct {
	Account    string           `json:"account"`
	DeviceID   string           `json:"deviceId,omitempty"`
	ClientType proto.ClientType `json:"clientType,omitempty"`
	UID        uint64           `json:"uid,omitempty"`
	Mode       proto.CallType   `json:"mode,omitempty"`
}

func (c *callState) snapshot() openCall {
	party := func(p *party) openParty {
		return openParty{Account: p.account, DeviceID: p.deviceID, ClientType: p.clientType, UID: p.uid, Mode: p.mode}
	}
	return openCall{CID: c.cid, Type: c.typ, Custom: c.custom, CreatedAt: c.createdAt, AnsweredAt: c.answeredAt,
		Caller: party(&c.callerParty), Callee: party(&c.calleeParty)}
}

// keepOpen queues the call's state for the database, with its owner.
func (h *hub) keepOpen(c *callState) {
	o := c.snapshot()
	if h.srv.cluster != nil {
		o.Node = h.srv.cluster.cfg.Node
	}
	h.srv.recorder.keepOpen(o)
}

// callState rebuilds the call with both parties away: their devices must
// sign in again to take it back.
func (o openCall) callState() *callState {
	party := func(p openParty) party {
		return party{account: p.Account, deviceID: p.DeviceID, clientType: p.ClientType, uid: p.UID, mode: p.Mode}
	}
	return &callState{cid: o.CID, typ: o.Type, custom: o.Custom, createdAt: o.CreatedAt, answeredAt: o.AnsweredAt,
		caller: o.Caller.Account, callee: o.Callee.Account, callerParty: party(o.Caller), calleeParty: party(o.Callee)}
}

func (s *store) saveOpenCall(ctx context.Context, o openCall, now int64) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode open call %s: %w", o.CID, err)
	}
	err = s.exec(ctx, `INSERT INTO open_calls(cid, state, updated_at) VALUES(?, ?, ?)
		ON CONFLICT(cid) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, o.CID, string(b), now)
	if err != nil {
		return fmt.Errorf("save open call %s: %w", o.CID, err)
	}
	return nil
}

func (s *store) deleteOpenCall(ctx context.Context, cid string) error {
	if err := s.exec(ctx, `DELETE FROM open_calls WHERE cid = ?`, cid); err != nil {
		return fmt.Errorf("forget open call %s: %w", cid, err)
	}
	return nil
}

// openCalls returns the calls that were in progress when the server last
// stopped. A row that cannot be decoded is reported, not silently skipped.
func (s *store) openCalls(ctx context.Context) ([]openCall, error) {
	rows, err := s.query(ctx, `SELECT cid, state FROM open_calls ORDER BY updated_at`)
	if err != nil {
		return nil, fmt.Errorf("read open calls: %w", err)
	}
	defer rows.Close()
	var calls []openCall
	for rows.Next() {
		var cid, state string
		if err := rows.Scan(&cid, &state); err != nil {
			return nil, fmt.Errorf("read open calls: %w", err)
		}
		var o openCall
		if err := json.Unmarshal([]byte(state), &o); err != nil || o.CID != cid {
			return nil, fmt.Errorf("read open call %s: bad state %q: %v", cid, state, err)
		}
		calls = append(calls, o)
	}
	return calls, rows.Err()
}
